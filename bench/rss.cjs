// Preloaded into measured processes: records the peak RSS (KiB) on exit. The
// CLI may re-run itself once (see bin/rdbkit.js); the file keeps the larger.
const fs = require('node:fs');
process.on('exit', () => {
  const out = process.env.RDBKIT_BENCH_STATS;
  if (!out) return;
  let prev = 0;
  try {
    prev = JSON.parse(fs.readFileSync(out, 'utf8')).maxRSSKiB;
  } catch {}
  fs.writeFileSync(out, JSON.stringify({ maxRSSKiB: Math.max(prev, process.resourceUsage().maxRSS) }));
});
