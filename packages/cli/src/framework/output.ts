// Output for people and for scripts: tables (aligned, with a bold header only on a terminal),
// colour only when the stream is a TTY (NO_COLOR turns it off, FORCE_COLOR on), JSON lines for
// `--output json`, and small formatters for sizes, counts and rates.

export interface Sink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface ColourEnv {
  readonly NO_COLOR?: string | undefined;
  readonly FORCE_COLOR?: string | undefined;
  readonly TERM?: string | undefined;
}

/** Whether to colour a stream: a TTY, not TERM=dumb, no NO_COLOR; FORCE_COLOR (not "0") forces it. */
export function colourEnabled(stream: { readonly isTTY?: boolean }, env: ColourEnv): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const sgr =
  (open: number, close: number) =>
  (text: string): string =>
    `\x1b[${open}m${text}\x1b[${close}m`;

export const colours: Style = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
};

const identity = (text: string): string => text;
export const plain: Style = {
  bold: identity,
  dim: identity,
  red: identity,
  green: identity,
  yellow: identity,
  cyan: identity,
};

export function styleFor(stream: { readonly isTTY?: boolean }, env: ColourEnv): Style {
  return colourEnabled(stream, env) ? colours : plain;
}

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;]*m/g;

/** The printed width of text (ANSI colour codes take no space). */
export function visibleLength(text: string): number {
  return [...text.replace(ansi, "")].length;
}

export interface TableOptions {
  readonly style?: Style;
  /** Columns aligned right (numbers). */
  readonly alignRight?: readonly number[];
}

/** An aligned table: a header row, then rows; two spaces between columns, no trailing spaces. */
export function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const style = options.style ?? plain;
  const right = new Set(options.alignRight ?? []);
  const widths = head.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const line = (cells: readonly string[], header: boolean): string =>
    cells
      .map((cell, i) => {
        const pad = " ".repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)));
        const text = header ? style.bold(cell) : cell;
        return right.has(i) ? pad + text : i === cells.length - 1 ? text : text + pad;
      })
      .join("  ")
      .trimEnd() + "\n";
  return line(head, true) + rows.map((r) => line(r, false)).join("");
}

/** JSON with bigint as decimal strings' numbers when safe (offsets), else strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint")
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    return v;
  });
}

export function jsonLines(values: readonly unknown[]): string {
  return values.map((v) => toJson(v) + "\n").join("");
}

const units = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatCount(count: number): string {
  return count.toLocaleString("en-US");
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, "0")}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
