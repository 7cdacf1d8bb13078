/** Types for the parts of make-fixtures.mjs that tests import. */
import type { Redis } from 'ioredis';

export interface FixtureSpec {
  file: string;
  description: string;
  config: Record<string, string>;
  populate: (client: Redis) => Promise<void>;
  policy?: 'lru' | 'lfu';
}

export const FIXTURES: FixtureSpec[];
