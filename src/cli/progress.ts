// Progress of a long command: on a terminal one bar redrawn in place with the rate and an ETA; elsewhere
// (a pipe, a log file, CI) plain lines like `migrated 1200/5000 (240/s, ETA 16s)`, at most a few a second.

/** Seconds as `16s`, `4m05s`, `2h03m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface ProgressState {
  verb: string;
  done: number;
  total: number;
  /** Items per second since the start. */
  rate: number;
}

const etaOf = ({ done, total, rate }: ProgressState) => (rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY);

/** The plain line: `migrated 1200/5000 (240/s, ETA 16s)`. */
export function renderLine(state: ProgressState): string {
  return `${state.verb} ${state.done}/${state.total} (${Math.round(state.rate)}/s, ETA ${formatDuration(etaOf(state))})`;
}

/** The terminal bar: `[########------------] 40% 2000/5000 240/s ETA 12s`, `width` cells wide. */
export function renderBar(state: ProgressState, width = 30): string {
  const fraction = state.total > 0 ? Math.min(1, state.done / state.total) : 1;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${state.done}/${state.total} ${Math.round(state.rate)}/s ETA ${formatDuration(etaOf(state))}`;
}

export interface Progress {
  update(done: number): void;
  /** Prints the final state (and ends the bar's line). */
  finish(done: number): void;
}

/** A progress display on `stream`: a bar when it is a TTY, plain lines otherwise (at most one per `everyMs`). */
export function createProgress(
  verb: string,
  total: number,
  options: { stream?: NodeJS.WriteStream; tty?: boolean; everyMs?: number; startedAt?: number; startDone?: number } = {},
): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const everyMs = options.everyMs ?? (tty ? 100 : 1000);
  const started = options.startedAt ?? Date.now();
  const base = options.startDone ?? 0; // done before this run: not part of its rate
  let last = started; // the first line after everyMs: a rate measured over a moment means nothing
  const state = (done: number): ProgressState => ({
    verb,
    done,
    total,
    rate: ((done - base) * 1000) / Math.max(1, Date.now() - started),
  });
  const draw = (done: number) => stream.write(tty ? `\r${renderBar(state(done))}` : `${renderLine(state(done))}\n`);
  return {
    update(done) {
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      draw(done);
    },
    finish(done) {
      draw(done);
      if (tty) stream.write('\n');
    },
  };
}
