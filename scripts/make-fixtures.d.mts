/** Types for the parts of make-fixtures.mjs that tests import. */
import type { Redis } from 'ioredis';

export interface FixtureSpec {
  file: string;
  description: string;
  config: Record<string, string>;
  populate: (client: Redis) => Promise<void>;
  policy?: 'lru' | 'lfu';
  /** 'valkey': written by valkey-server (VALKEY_FIXTURES). */
  server?: 'valkey';
}

export const FIXTURES: FixtureSpec[];
/** Fixtures written by a Valkey server, kept apart from FIXTURES (whose data tests replay into redis-server 7.0). */
export const VALKEY_FIXTURES: FixtureSpec[];
