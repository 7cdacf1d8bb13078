/**
 * AOFs written by redis-server 7.0, converted by `rdbkit resp` and loaded into
 * a fresh server with `redis-cli --pipe`, must give the data the writing
 * server held (DEBUG DIGEST, per-key DEBUG DIGEST-VALUE, FUNCTION LIST):
 * the committed fixtures (digests recorded at generation), directories made
 * fresh by this test run, and the point-in-time cut `--until T` compared with
 * `redis-check-aof --truncate-to-timestamp T` loaded by redis-server.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { makeAofDir, readAofDir, splitResp } from '../../scripts/make-aof-fixtures.mjs';
import {
  aofFixtures,
  copyDir,
  expectedOf,
  expectRespGives,
  expectSameTruth,
  loadResp,
  manifestOf,
  rdbkit,
  redisCheckAof,
  replayResp,
  serverOnLegacyAof,
  type ServerTruth,
  startOnAofDir,
  startOnLegacyAof,
  tempDir,
  truthOfServer,
  useLoadTarget,
} from '../helpers/aof.js';
import { listCorpusFiles } from '../helpers/corpus.js';
import { describeRedis } from '../helpers/redis.js';


interface Input {
  label: string;
  /** What is passed to rdbkit. */
  input: string;
  truth: () => Pick<ServerTruth, 'digest' | 'dbs' | 'functions'>;
}

const fixtureInputs: Input[] = [
  { label: 'multipart-rdb-ts (dir)', input: path.join(aofFixtures, 'multipart-rdb-ts'), truth: () => expectedOf('multipart-rdb-ts') },
  {
    label: 'multipart-rdb-ts (manifest)',
    input: path.join(aofFixtures, 'multipart-rdb-ts', 'appendonly.aof.manifest'),
    truth: () => expectedOf('multipart-rdb-ts'),
  },
  { label: 'multipart-resp-ts (dir)', input: path.join(aofFixtures, 'multipart-resp-ts'), truth: () => expectedOf('multipart-resp-ts') },
  { label: 'multipart-rdb (dir)', input: path.join(aofFixtures, 'multipart-rdb'), truth: () => expectedOf('multipart-rdb') },
  { label: 'legacy-preamble.aof (file)', input: path.join(aofFixtures, 'legacy-preamble.aof'), truth: () => expectedOf('legacy-preamble.aof') },
];

describeRedis('rdbkit resp <AOF> | redis-cli --pipe rebuilds what the writing server held', () => {
  const target = useLoadTarget();

  for (const inp of fixtureInputs) {
    it(`fixture ${inp.label}: plain commands`, async () => {
      const r = await expectRespGives(target(), ['resp', inp.input], inp.truth(), inp.label);
      expect(r.stderr).not.toMatch(/truncat/i);
    });
    it(`fixture ${inp.label}: --restore`, async () => {
      await expectRespGives(target(), ['resp', '--restore', inp.input], inp.truth(), `${inp.label} --restore`);
    });
  }

  it('the fixture directories load in redis-server 7.0 into the recorded data (sanity of the fixtures)', async () => {
    for (const name of ['multipart-rdb-ts', 'multipart-resp-ts', 'multipart-rdb']) {
      expectSameTruth((await truthOfServer(startOnAofDir(path.join(aofFixtures, name)))).truth, expectedOf(name), name);
    }
  });

  it('--db N keeps the commands of database N only (compared with a server fed the same filter by hand)', async () => {
    // Truth: the RESP base + commands written by rdbkit are not used; instead the
    // source server's per-db key digests: after `--db 5` only db 5 exists and its
    // keys are those of the source db 5 (commands of other dbs never touch db 5).
    const exp = expectedOf('multipart-rdb-ts');
    const r = rdbkit(['resp', '--db', '5', path.join(aofFixtures, 'multipart-rdb-ts')]);
    expect(r.code, r.stderr).toBe(0);
    const got = await loadResp(target(), r.stdout, '--db 5');
    expect(Object.keys(got.dbs)).toEqual(['5']);
    expect(got.dbs['5']).toEqual(exp.dbs['5']);
  });

  // Fresh directories, made now by this run's redis-server.
  for (const layout of ['multipart-rdb-ts', 'multipart-resp-ts'] as const) {
    it(`fresh ${layout} dir made by this run's redis-server`, { timeout: 60_000 }, async () => {
      const dir = path.join(tempDir(), 'appendonlydir');
      const truth = await makeAofDir(layout, dir, { seed: 1000 + layout.length, timedSeconds: 2 });
      for (const args of [['resp', dir], ['resp', '--restore', dir], ['resp', manifestOf(dir)]]) {
        await expectRespGives(target(), args, truth, `fresh ${layout}: ${args.join(' ')}`);
      }
    });
  }
});

describeRedis('rdbkit resp --until T equals redis-check-aof --truncate-to-timestamp T loaded by redis-server', () => {
  const target = useLoadTarget();

  for (const name of ['multipart-rdb-ts', 'multipart-resp-ts']) {
    it(`${name}: every #TS boundary of the last part`, async () => {
      const src = path.join(aofFixtures, name);
      const { parts } = readAofDir(src);
      const resp = parts.filter((p) => p.bytes.subarray(0, 5).toString('latin1') !== 'REDIS');
      const last = parts.at(-1)!;
      const earlierTs = resp
        .filter((p) => p !== last)
        .flatMap((p) => splitResp(p.bytes).annotations.map((a) => a.ts ?? 0));
      const lastTs = [...new Set(splitResp(last.bytes).annotations.map((a) => a.ts).filter((t): t is number => t !== null))];
      expect(lastTs.length, 'the fixture has several #TS annotations in its last part').toBeGreaterThanOrEqual(3);
      const floor = Math.max(0, ...earlierTs);
      // T just before, at, and between the annotations of the last part, and after all of them.
      const candidates = [...new Set(lastTs.flatMap((t) => [t - 1, t]).concat([Math.max(...lastTs) + 1000]))]
        .filter((t) => t >= floor)
        .sort((a, b) => a - b);
      expect(candidates.length).toBeGreaterThanOrEqual(3);
      let cutsSeen = 0;
      let emptied = 0;
      for (const T of candidates) {
        const copy = copyDir(src);
        const chk = redisCheckAof(manifestOf(copy), ['--truncate-to-timestamp', String(T)], 'y\n');
        if (chk.status !== 0 && /has nothing before timestamp/.test(chk.stdout)) {
          // redis-check-aof will not cut a part down to nothing ("has nothing before
          // timestamp T, aborting"): the cut it refuses is the whole last part, so
          // the truth is the directory with that part emptied, as redis-server loads it.
          truncateSync(path.join(copy, last.file), 0);
          emptied++;
        } else {
          expect(chk.status, `redis-check-aof --truncate-to-timestamp ${T}\n${chk.stdout}`).toBe(0);
        }
        if (/Successfully truncated/.test(chk.stdout)) cutsSeen++;
        const { truth: want } = await truthOfServer(startOnAofDir(copy));
        await expectRespGives(target(), ['resp', '--until', String(T), src], want, `${name} --until ${T}`);
      }
      expect(cutsSeen, 'some T values really cut the file').toBeGreaterThan(0);
      expect(emptied).toBeLessThanOrEqual(1);
    });
  }
});

describeRedis('single-file AOFs: rdbkit resp equals what redis-server 7.0 loads from the same file', () => {
  const target = useLoadTarget();

  it('the legacy preamble fixture read from stdin (`rdbkit resp -`)', async () => {
    const bytes = readFileSync(path.join(aofFixtures, 'legacy-preamble.aof'));
    await expectRespGives(target(), ['resp', '-'], expectedOf('legacy-preamble.aof'), 'resp - < legacy-preamble.aof', bytes);
  });

  const corpusAofs = listCorpusFiles().filter((f) => f.rel.endsWith('.aof'));
  it.skipIf(corpusAofs.length === 0)('every corpus AOF redis-server 7.0 can load (as a legacy appendonly.aof)', { timeout: 120_000 }, async () => {
    let compared = 0;
    const refused: string[] = [];
    for (const f of corpusAofs) {
      const { truth: want } = await serverOnLegacyAof(f.path);
      if (want === null) {
        refused.push(f.rel); // e.g. module commands or commands newer than 7.0
        continue;
      }
      const r = rdbkit(['resp', f.path]);
      expect(r.code, `${f.rel}: ${r.stderr}`).toBe(0);
      // The AOF's own commands may fail on 7.0 (appendonly-with-ts.aof holds pre-GA FUNCTION
      // syntax); redis-server ignores those while loading, so errors are allowed — the data must match.
      const replay = await replayResp(target(), r.stdout);
      if (replay.pipe.errors > 0) console.log(`${f.rel}: ${replay.pipe.errors} command(s) failed on replay (as while loading)`);
      expectSameTruth(replay.truth, want, f.rel);
      compared++;
    }
    console.log(`corpus AOFs compared with redis-server: ${compared}; refused by redis-server 7.0: ${refused.join(', ') || 'none'}`);
    expect(compared).toBeGreaterThanOrEqual(4);
  });
});

describeRedis('--until on a single-file AOF equals redis-check-aof --truncate-to-timestamp (corpus appendonly-with-ts.aof)', () => {
  const target = useLoadTarget();

  const f = listCorpusFiles().find((x) => x.rel === 'redis-replicator/appendonly-with-ts.aof');
  it.skipIf(f === undefined)('T at several annotations', { timeout: 60_000 }, async () => {
    const bytes = readFileSync(f!.path);
    const ts = [...new Set(splitResp(bytes).annotations.map((a) => a.ts).filter((t): t is number => t !== null))];
    const picks = [ts[5]! - 1, ts[20]!, ts[40]! - 1, ts.at(-1)! + 1];
    for (const T of picks) {
      const copy = path.join(tempDir(), 'appendonly.aof');
      writeFileSync(copy, bytes);
      const chk = redisCheckAof(copy, ['--truncate-to-timestamp', String(T)], 'y\n');
      expect(chk.status, chk.stdout).toBe(0);
      const { truth: want } = await truthOfServer(startOnLegacyAof(copy));
      const r = rdbkit(['resp', '--until', String(T), f!.path]);
      expect(r.code, r.stderr).toBe(0);
      // pre-GA FUNCTION syntax fails here as while loading
      expectSameTruth((await replayResp(target(), r.stdout)).truth, want, `--until ${T}`);
    }
  });
});
