/**
 * The project's own fixtures (dumps written by redis-server 7.0, with what
 * the server held recorded next to them) decode to exactly that content.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { checkExpected, decodeAll } from '../helpers/expected.js';

const dir = path.resolve(__dirname, '../../fixtures');
const dumps = readdirSync(dir).filter((f) => f.endsWith('.rdb'));

describe('fixtures', () => {
  for (const f of dumps) {
    it(f, () => {
      const exp = JSON.parse(readFileSync(path.join(dir, `${f}.expected.json`), 'utf8'));
      checkExpected(exp, decodeAll(new Uint8Array(readFileSync(path.join(dir, f)))));
    });
  }
});
