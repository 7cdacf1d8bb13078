#!/usr/bin/env node
// The rdbkit command. Streaming keeps the live heap small, but V8 lets
// garbage grow towards its heap limit (several GB on large machines) before
// collecting it; a 1 GiB old-space limit keeps peak RSS flat. When no limit
// was chosen, the CLI re-runs itself once with one.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

const HEAP_MB = 1024;
const chosen = process.execArgv.some((a) => a.startsWith('--max-old-space-size')) || /--max-old-space-size/.test(process.env.NODE_OPTIONS ?? '');
if (!chosen && !process.env.RDBKIT_NO_REEXEC && v8.getHeapStatistics().heap_size_limit > (HEAP_MB + 512) * 1048576) {
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${HEAP_MB}`, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, RDBKIT_NO_REEXEC: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  await import('../dist/cli/main.js');
}
