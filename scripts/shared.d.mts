/** Types for scripts/shared.mjs. */
export function freePort(): Promise<number>;
export function quoteConfigValue(value: string): string;
export function prng(seed: number): () => number;
export interface LaunchedRedis {
  port: number;
  pid: number | undefined;
  client: import('ioredis').Redis;
  log(): string;
  stop(): Promise<void>;
}
export function launchRedis(
  server: string,
  confPath: string,
  opts: { cwd: string; readyMs: number; pollMs: number },
): Promise<LaunchedRedis>;
export const REDIS_BASE_CONFIG: Readonly<Record<string, string>>;
export function writeRedisConf(dir: string, config?: Record<string, string>): string;
export function scanAllKeys(client: import('ioredis').Redis): Promise<Buffer[]>;
