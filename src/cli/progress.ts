/** Progress on stderr for long runs, shown only when stderr is a terminal. */
export class Progress {
  private timer: NodeJS.Timeout | null = null;
  private shown = false;
  private readonly started = Date.now();

  constructor(
    private readonly position: () => number,
    private readonly size: number | null,
    private readonly counter: () => number,
    enabled = process.stderr.isTTY === true,
  ) {
    if (enabled) {
      this.timer = setInterval(() => this.draw(), 250);
      this.timer.unref();
    }
  }

  private draw(): void {
    if (Date.now() - this.started < 500) return;
    const pos = this.position();
    const mb = (pos / 1048576).toFixed(1);
    const secs = (Date.now() - this.started) / 1000;
    const rate = (pos / 1048576 / secs).toFixed(1);
    let line = `  ${mb} MiB`;
    if (this.size !== null && this.size > 0) line += ` of ${(this.size / 1048576).toFixed(1)} MiB (${((pos / this.size) * 100).toFixed(0)}%)`;
    line += `, ${this.counter()} keys, ${rate} MiB/s`;
    process.stderr.write(`\r\x1b[K${line}`);
    this.shown = true;
  }

  /** Stops and erases the progress line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
