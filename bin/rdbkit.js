#!/usr/bin/env node
// The rdbkit command. Streaming keeps the live heap small, but V8 lets
// garbage grow towards its heap limit (several GB on large machines) before
// collecting it; a 1 GiB old-space limit keeps peak RSS flat (measured:
// 215 MB → 150 MB on the huge-values benchmark). When nobody chose a limit,
// this launcher starts node once more with one — before loading the CLI
// bundle, so the extra start-up costs a bare node start (~0.1 s), not two
// bundle loads. verify, info and plain resp build no values: they run in this process.
import { spawn } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';

const HEAP_MB = 1024;
const args = process.argv.slice(2);
const chosen =
  process.execArgv.some((a) => a.startsWith('--max-old-space-size')) || (process.env.NODE_OPTIONS ?? '').includes('--max-old-space-size');
// resp without --restore writes values element by element through the decoder's sink and makes little garbage (huge.rdb: peak RSS 126 MB without the limit).
const light =
  args[0] === 'verify' || args[0] === 'info' || (args[0] === 'resp' && !args.includes('--restore')) ||
  args.length === 0 || args.includes('--help') || args.includes('-h') || args.includes('--version') || args.includes('-V');
if (light || chosen || process.env.RDBKIT_NO_REEXEC || getHeapStatistics().heap_size_limit <= (HEAP_MB + 512) * 1048576) {
  await import('../dist/cli/main.js');
} else {
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${HEAP_MB}`, process.argv[1], ...args], {
    stdio: 'inherit',
    env: { ...process.env, RDBKIT_NO_REEXEC: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal, as a shell expects (status 128 + n): without our handler first.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    else process.exit(code ?? 1);
  });
}
