/**
 * One progress bar on stderr: `[#####-----] 12/40 avalanche (a) full`. On a terminal it redraws
 * in place; otherwise (CI, tests) it prints one line per step.
 */
export class Progress {
  private done = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly total: number,
    /** `null` for silence (tests). */
    private readonly stream: NodeJS.WriteStream | null = process.stderr,
  ) {}

  /** Marks the start of a step. */
  step(label: string): void {
    this.draw(label);
  }

  /** Marks a step done. */
  tick(label = ''): void {
    this.done = Math.min(this.total, this.done + 1);
    this.draw(label);
  }

  finish(): void {
    if (this.stream?.isTTY) this.stream.write('\n');
  }

  private draw(label: string): void {
    if (!this.stream) return;
    const width = 30;
    const filled = Math.round((this.done / Math.max(1, this.total)) * width);
    const elapsed = Math.round((Date.now() - this.startedAt) / 1_000);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done}/${this.total} ${elapsed}s ${label}`;
    if (this.stream.isTTY)
      this.stream.write(
        `\r\u001b[2K${line.slice(0, (this.stream.columns ?? 120) - 1)}`,
      );
    else this.stream.write(`${line}\n`);
  }
}
