/**
 * The legacy single-file RDB-preamble AOF (Redis 4–6 layout) cut in its tail
 * (rdbkit verify = redis-check-aof; rdbkit resp = what redis-server 7.0 loads
 * from the cut file as a legacy appendonly.aof) and in its RDB (redis-server
 * refuses; rdbkit fails).
 */
import { cpSync, readFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import {
  aofFixtures,
  expectedOf,
  expectRespGives,
  expectVerifyAgrees,
  rdbkit,
  redisCheckAof,
  sampleCuts,
  serverOnLegacyAof,
  tempDir,
  useLoadTarget,
} from '../helpers/aof.js';
import { describeRedis } from '../helpers/redis.js';

describeRedis('legacy single-file RDB-preamble AOF, cut', () => {
  const target = useLoadTarget();

  it('legacy single-file preamble AOF cut in its tail and in its RDB', { timeout: 60_000 }, async () => {
    const file = path.join(aofFixtures, 'legacy-preamble.aof');
    const bytes = readFileSync(file);
    const exp = expectedOf('legacy-preamble.aof');
    const tailCuts = sampleCuts(bytes.subarray(exp.rdb_size), 21, 2).map((k) => k + exp.rdb_size);
    const work = tempDir();
    for (const k of [...tailCuts, exp.rdb_size]) {
      const what = `legacy-preamble.aof cut at ${k}`;
      const cut = path.join(work, `cut-${k}.aof`);
      cpSync(file, cut);
      truncateSync(cut, k);
      expectVerifyAgrees(cut, redisCheckAof(cut), what);
      const server = await serverOnLegacyAof(cut);
      expect(server.truth, `${what}: redis-server loads it\n${server.log}`).not.toBeNull();
      await expectRespGives(target(), ['resp', cut], server.truth!, what);
    }
    for (const k of [10, Math.floor(exp.rdb_size / 2), exp.rdb_size - 1]) {
      const what = `legacy-preamble.aof cut at ${k} (inside the RDB preamble)`;
      const cut = path.join(work, `rdbcut-${k}.aof`);
      cpSync(file, cut);
      truncateSync(cut, k);
      const server = await serverOnLegacyAof(cut);
      expect(server.truth, `${what}: redis-server refuses\n${server.log}`).toBeNull();
      expect(redisCheckAof(cut).status).not.toBe(0);
      for (const cmd of ['verify', 'resp']) {
        const r = rdbkit([cmd, cut]);
        expect(r.code, `${what}: rdbkit ${cmd}\n${r.stderr}`).toBe(1);
      }
    }
  });
});
