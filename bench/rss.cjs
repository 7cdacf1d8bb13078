// Preloaded into measured processes: reports peak RSS (KiB) and CPU time on exit.
const fs = require('node:fs');
const start = process.hrtime.bigint();
process.on('exit', () => {
  const u = process.resourceUsage();
  const out = process.env.RDBKIT_BENCH_STATS;
  if (out) fs.writeFileSync(out, JSON.stringify({ maxRSSKiB: u.maxRSS, wallMs: Number(process.hrtime.bigint() - start) / 1e6 }));
});
