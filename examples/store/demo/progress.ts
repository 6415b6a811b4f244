/**
 * The seed's progress on stderr: one bar redrawn with `\r` on a terminal, plain
 * lines at every 10 % of each phase elsewhere (CI logs, a pipe), where a redrawn
 * line would pile up as thousands of fragments.
 */

/** What `seedShop`'s `onProgress` is given, and the line's end. */
export interface Progress {
  /** `done` of `total` units of `phase` are finished. */
  update(phase: string, done: number, total: number): void;
  /** Ends the bar's line (a terminal) so the next output starts on its own line. */
  finish(): void;
}

const BAR_WIDTH = 30;
/** A terminal redraws at most this often: a fast seed would otherwise spend its time on the bar. */
const REDRAW_INTERVAL_MS = 100;

/** A progress reporter for `activity` (`seeding`, `warming`), writing to `stream` (stderr by default). */
export function createProgress(activity: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? terminalProgress(activity, stream) : lineProgress(activity, stream);
}

function terminalProgress(activity: string, stream: NodeJS.WriteStream): Progress {
  let drawn = false;
  let lastPhase = '';
  let lastDrawAt = 0;
  let lastLine = '';
  return {
    update(phase, done, total) {
      const now = Date.now();
      const complete = total > 0 && done >= total;
      // A new phase or the end of one always draws, so no phase is left at 97 %.
      if (phase === lastPhase && !complete && now - lastDrawAt < REDRAW_INTERVAL_MS) return;
      if (phase !== lastPhase && drawn) stream.write('\n');
      lastPhase = phase;
      lastDrawAt = now;
      const line = `  ${activity} ${barLine(phase, done, total)}`;
      // Pad over the previous line's tail: a shorter line would leave its characters behind.
      stream.write(`\r${line.padEnd(lastLine.length)}`);
      lastLine = line;
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\n');
      drawn = false;
      lastPhase = '';
      lastLine = '';
    },
  };
}

function lineProgress(activity: string, stream: NodeJS.WriteStream): Progress {
  let lastPhase = '';
  let lastTenth = -1;
  return {
    update(phase, done, total) {
      const tenth = Math.floor(fraction(done, total) * 10);
      if (phase === lastPhase && tenth === lastTenth) return;
      // Every phase's first report is printed, then each new 10 % step.
      lastPhase = phase;
      lastTenth = tenth;
      stream.write(`  ${activity} ${phase}: ${percent(done, total)} (${count(done)}/${count(total)})\n`);
    },
    finish() {
      lastPhase = '';
      lastTenth = -1;
    },
  };
}

/** `products  [#########.....................]  30%  30,000/100,000` */
export function barLine(phase: string, done: number, total: number): string {
  const filled = Math.round(fraction(done, total) * BAR_WIDTH);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`;
  return `${phase.padEnd(10)} [${bar}] ${percent(done, total).padStart(4)}  ${count(done)}/${count(total)}`;
}

function fraction(done: number, total: number): number {
  if (!(total > 0)) return 1;
  return Math.min(1, Math.max(0, done / total));
}

function percent(done: number, total: number): string {
  return `${Math.floor(fraction(done, total) * 100)}%`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}
