/** Types for scripts/shared.mjs. */
export function freePort(): Promise<number>;
export function quoteConfigValue(value: string): string;
export function prng(seed: number): () => number;
