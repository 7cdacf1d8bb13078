/**
 * `parseAof(…, { commands: 'count' })` — what `rdbkit verify` runs — checks
 * exactly what the event mode checks: for every AOF fixture and corpus AOF,
 * whole, cut at many offsets and with a MULTI left open, it reports the same
 * per-part command counts and annotations, the same cut (load mode) and the
 * same error with the same ok_up_to (strict mode) as the event mode.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAof, RdbkitError, type AofPartInput, type ParseAofOptions } from '../../src/index.js';
import type { AofEvent } from '../../src/events.js';
import { openAof } from '../../src/node/index.js';
import { listCorpusFiles, repoRoot } from '../helpers/corpus.js';

/** What a run reports: per-part command counts, annotation offsets, cuts, or the error. */
async function summary(parts: AofPartInput[], options: ParseAofOptions): Promise<string> {
  const out: string[] = [];
  let commands = 0;
  try {
    for await (const ev of parseAof(parts, options) as AsyncIterable<AofEvent>) {
      if (ev.type === 'command') commands++;
      else if (ev.type === 'aofPartEnd') {
        out.push(`${ev.file}: ${ev.counted ? ev.commands : commands} commands, ends at ${ev.offset}`);
        commands = 0;
      } else if (ev.type === 'annotation') out.push(`# at ${ev.offset}`);
      else if (ev.type === 'aofTruncated') out.push(`cut ${ev.reason} at ${ev.offset} of ${ev.size}`);
    }
  } catch (e) {
    if (!(e instanceof RdbkitError)) throw e;
    out.push(`${e.code} at ${e.offset} of ${e.file} ok_up_to=${e.validUpTo}`);
  }
  return out.join('\n');
}

async function partsOf(p: string): Promise<Array<{ name: string | null; role: AofPartInput['role']; bytes: Uint8Array }>> {
  const opened = await openAof(p);
  const out = [];
  for (const part of opened.parts) {
    const chunks: Uint8Array[] = [];
    for await (const c of part.source as AsyncIterable<Uint8Array>) chunks.push(c);
    out.push({ name: part.name, role: part.role, bytes: new Uint8Array(Buffer.concat(chunks)) });
  }
  return out;
}

const inputs: string[] = [];
const aofDir = path.join(repoRoot, 'fixtures', 'aof');
for (const n of readdirSync(aofDir)) if (statSync(path.join(aofDir, n)).isDirectory() || n.endsWith('.aof')) inputs.push(path.join(aofDir, n));
for (const c of listCorpusFiles()) if (c.rel.endsWith('.aof')) inputs.push(c.path);

describe("commands: 'count' reports what the event mode does", () => {
  for (const input of inputs) {
    it(path.relative(repoRoot, input), async () => {
      const parts = await partsOf(input);
      const last = parts.at(-1)!;
      const variants: Array<[string, Uint8Array]> = [['whole', last.bytes]];
      for (let i = 1; i <= 12; i++) {
        const cut = Math.floor((last.bytes.length * i) / 13);
        variants.push([`cut at ${cut}`, last.bytes.subarray(0, cut)]);
      }
      variants.push(['open MULTI', new Uint8Array(Buffer.concat([last.bytes, Buffer.from('*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n')]))]);
      for (const [what, bytes] of variants) {
        const make = (): AofPartInput[] => parts.map((p, i) => ({ name: p.name, role: p.role, source: i === parts.length - 1 ? bytes : p.bytes }));
        for (const truncated of ['load', 'strict'] as const) {
          const events = await summary(make(), { truncated });
          const counted = await summary(make(), { truncated, commands: 'count' });
          expect(counted, `${what}, ${truncated}`).toBe(events);
        }
      }
    });
  }
});
