// A progress bar with throughput, drawn on stderr only when stderr is a terminal (never into pipes
// or files): one line redrawn in place at most every 100 ms, cleared when done. With a known total
// (bytes of an input file, records of a backup) it shows a bar, percentage and ETA; without one,
// just counts and rates.
import { formatBytes, formatCount, formatDuration } from "./output.ts";
import type { Sink } from "./output.ts";

export interface ProgressOptions {
  readonly stream: Sink & { readonly columns?: number };
  /** Draw at all (a TTY and not disabled by the command). */
  readonly enabled: boolean;
  /** What is counted: "records". */
  readonly noun: string;
  /** The total, in `totalUnit`, when known. */
  readonly total?: number;
  /** Whether `total` counts bytes (an input file) or items. */
  readonly totalUnit?: "bytes" | "items";
  readonly now?: () => number;
  readonly redrawMs?: number;
  /** Draw nothing until this long after the start (short runs stay silent). */
  readonly delayMs?: number;
}

export interface ProgressState {
  readonly items: number;
  readonly bytes: number;
  readonly elapsedMs: number;
}

/** The progress line for a state (pure; the bar fills `width` columns). */
export function progressLine(
  state: ProgressState,
  options: { noun: string; total?: number; totalUnit?: "bytes" | "items"; width?: number },
): string {
  const seconds = Math.max(state.elapsedMs, 1) / 1000;
  const rate = `${formatCount(Math.round(state.items / seconds))} ${options.noun}/s, ${formatBytes(Math.round(state.bytes / seconds))}/s`;
  const counts = `${formatCount(state.items)} ${options.noun}, ${formatBytes(state.bytes)}`;
  if (options.total === undefined || options.total <= 0) return `${counts} | ${rate}`;
  const done = options.totalUnit === "bytes" ? state.bytes : state.items;
  const fraction = Math.min(1, Math.max(0, done / options.total));
  const barWidth = Math.max(10, Math.min(30, (options.width ?? 80) - 70));
  const filled = Math.round(fraction * barWidth);
  const bar = `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}]`;
  const etaMs = fraction > 0 && fraction < 1 ? (state.elapsedMs / fraction) * (1 - fraction) : 0;
  const eta = fraction < 1 && fraction > 0 ? ` | ETA ${formatDuration(etaMs)}` : "";
  return `${bar} ${String(Math.floor(fraction * 100)).padStart(3)}% | ${counts} | ${rate}${eta}`;
}

export class Progress {
  readonly #options: ProgressOptions;
  readonly #now: () => number;
  readonly #started: number;
  #items = 0;
  #bytes = 0;
  #lastDraw = 0;
  #drawn = false;
  #total: number | undefined;

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
    this.#total = options.total;
  }

  get items(): number {
    return this.#items;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get elapsedMs(): number {
    return this.#now() - this.#started;
  }

  setTotal(total: number): void {
    this.#total = total;
  }

  add(items: number, bytes: number): void {
    this.#items += items;
    this.#bytes += bytes;
    const now = this.#now();
    if (
      this.#options.enabled &&
      now - this.#started >= (this.#options.delayMs ?? 0) &&
      now - this.#lastDraw >= (this.#options.redrawMs ?? 100)
    ) {
      this.#lastDraw = now;
      this.#draw();
    }
  }

  #draw(): void {
    const columns = this.#options.stream.columns ?? 0;
    const width = columns > 0 ? columns : 80; // a pseudo-terminal may report 0 columns
    const line = progressLine(
      { items: this.#items, bytes: this.#bytes, elapsedMs: this.elapsedMs },
      {
        noun: this.#options.noun,
        ...(this.#total === undefined ? {} : { total: this.#total }),
        ...(this.#options.totalUnit === undefined ? {} : { totalUnit: this.#options.totalUnit }),
        width,
      },
    );
    this.#options.stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, width - 1))}`);
    this.#drawn = true;
  }

  /** Draws the final state (100% when complete) and ends the line, or clears it. */
  finish(options: { clear?: boolean } = {}): void {
    if (!this.#options.enabled) return;
    if (!this.#drawn && options.clear !== true) return;
    if (options.clear === true) {
      if (this.#drawn) this.#options.stream.write("\r\x1b[2K");
      return;
    }
    this.#draw();
    this.#options.stream.write("\n");
  }
}
