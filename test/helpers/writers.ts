/** The writers the CLI runs, as the input-reuse and drain tests build them (rawValues: what the decoder must give them). */
import { JsonlWriter, RdbWriter, RespWriter } from '../../src/index.js';

export const WRITERS = {
  resp: () => ({ writer: new RespWriter({ lossy: true }), rawValues: false }),
  restore: () => ({ writer: new RespWriter({ restore: true, lossy: true }), rawValues: true }),
  json: () => ({ writer: new JsonlWriter({ meta: true }), rawValues: false }),
  rdb: () => ({ writer: new RdbWriter({ lossy: true }), rawValues: true }),
} as const;
