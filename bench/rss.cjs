// Fallback when GNU time (/usr/bin/time) is missing: preloaded into measured
// node processes (NODE_OPTIONS=--require), it records the peak RSS (KiB) and
// CPU time on exit. The CLI may re-run itself once with a heap limit (see
// src/cli/main.ts): both processes write, the file keeps the larger RSS and
// the sum of CPU times.
const fs = require('node:fs');
process.on('exit', () => {
  const out = process.env.RDBKIT_BENCH_STATS;
  if (!out) return;
  let prev = { maxRSSKiB: 0, cpuSeconds: 0 };
  try {
    prev = JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch {}
  const u = process.resourceUsage();
  fs.writeFileSync(
    out,
    JSON.stringify({
      maxRSSKiB: Math.max(prev.maxRSSKiB, u.maxRSS),
      cpuSeconds: prev.cpuSeconds + (u.userCPUTime + u.systemCPUTime) / 1e6,
    }),
  );
});
