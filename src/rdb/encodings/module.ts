/**
 * Module type ids (format.md 9.1): nine 6-bit characters of the module name
 * in bits 63…10, the module's encoding version in bits 9…0.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Splits a 64-bit module type id into the module name and encoding version. */
export function decodeModuleId(id: bigint): { name: string; encver: number } {
  const encver = Number(id & 1023n);
  let name = '';
  for (let i = 0; i < 9; i++) {
    const shift = BigInt(10 + (8 - i) * 6);
    name += ALPHABET[Number((id >> shift) & 63n)];
  }
  return { name, encver };
}

/** Builds a module type id from a 9-character name and an encoding version. */
export function encodeModuleId(name: string, encver: number): bigint {
  if (name.length !== 9) throw new RangeError('module names have 9 characters');
  let id = 0n;
  for (let i = 0; i < 9; i++) {
    const c = ALPHABET.indexOf(name[i]!);
    if (c < 0) throw new RangeError(`invalid module name character ${name[i]}`);
    id = (id << 6n) | BigInt(c);
  }
  return (id << 10n) | BigInt(encver & 1023);
}
