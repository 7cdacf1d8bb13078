/** Types for the parts of make-aof-fixtures.mjs that tests import. */
import type { Redis } from 'ioredis';

export interface SplitCommand {
  offset: number;
  end: number;
  args: Buffer[];
}
export interface SplitAnnotation {
  offset: number;
  end: number;
  text: string;
  ts: number | null;
}
export interface SplitResult {
  commands: SplitCommand[];
  annotations: SplitAnnotation[];
  /** End of the last complete command outside MULTI (redis-check-aof's ok_up_to). */
  okUpTo: number;
  error: string | null;
  end: number;
}
export function splitResp(buf: Buffer, start?: number): SplitResult;

export interface ManifestEntry {
  file: string;
  seq: number;
  type: string;
}
export function readManifestSimple(text: string): ManifestEntry[];

export interface ServerTruth {
  digest: string;
  dbs: Record<string, { key_count: number; keys: Record<string, string> }>;
  functions: { name: string; code: string }[];
}
export function serverTruth(client: Redis): Promise<ServerTruth>;
export function keyName(k: Buffer): string;

export interface LayoutSpec {
  preamble: boolean;
  timestamps: boolean;
  twoIncr: boolean;
}
export const LAYOUTS: Record<string, LayoutSpec>;
export function makeAofDir(
  layout: string,
  outDir: string,
  opts?: { seed?: number; timedSeconds?: number },
): Promise<ServerTruth & { redis_version: string }>;
export function readAofDir(dir: string): { manifestName: string; parts: (ManifestEntry & { bytes: Buffer })[] };
export function redisVersion(): string;
export function checkAof(target: string, extra?: string[]): { status: number | null; stdout: string; okUpTo: number[] };
export const REDIS_CHECK_AOF: string;
