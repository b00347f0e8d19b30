// Where to start reading (or up to where to delete) in a partition, as written on the command
// line: `beginning`, `end`, an offset, a point in time (ISO 8601 or `@EPOCH_MS`) or a duration ago
// (`15m`, `1h30m`, `2d`). Pure: the current time is a parameter.
import { UsageError } from "./errors.ts";

export type Position =
  | { readonly kind: "beginning" }
  | { readonly kind: "end" }
  | { readonly kind: "offset"; readonly offset: bigint }
  | { readonly kind: "timestamp"; readonly timestampMs: number };

const durationUnitsMs: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A duration like `90s`, `15m`, `1h30m`, `2d`, `500ms`; undefined when the text is not one. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(ms|s|m|h|d|w))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) {
    total += Number(match[1]) * (durationUnitsMs[match[2] ?? ""] ?? 0);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** An ISO 8601 date or date-time (a bare date is midnight UTC); undefined when not one. */
export function parseIsoTimestampMs(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim()))
    return undefined;
  const ms = Date.parse(text.trim().replace(" ", "T"));
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Parses a position. `what` names the option in errors (`--from`). Offsets are decimal integers;
 * timestamps are ISO 8601 or `@` + epoch milliseconds; durations mean that long before `nowMs`.
 */
export function parsePosition(text: string, what: string, nowMs: number): Position {
  const t = text.trim();
  switch (t.toLowerCase()) {
    case "beginning":
    case "earliest":
    case "start":
      return { kind: "beginning" };
    case "end":
    case "latest":
      return { kind: "end" };
  }
  if (/^\d+$/.test(t)) {
    const offset = BigInt(t);
    if (offset > 9223372036854775807n) throw new UsageError(`${what}: offset ${t} is out of range`);
    return { kind: "offset", offset };
  }
  if (/^@\d+$/.test(t)) {
    const ms = Number(t.slice(1));
    if (!Number.isSafeInteger(ms)) throw new UsageError(`${what}: timestamp ${t} is out of range`);
    return { kind: "timestamp", timestampMs: ms };
  }
  const iso = parseIsoTimestampMs(t);
  if (iso !== undefined) return { kind: "timestamp", timestampMs: iso };
  const ago = parseDurationMs(t.replace(/\s*ago$/, ""));
  if (ago !== undefined) return { kind: "timestamp", timestampMs: nowMs - ago };
  throw new UsageError(
    `${what}: cannot read ${JSON.stringify(text)}`,
    "beginning, end, an offset (42), a time (2024-05-01T12:00:00Z or @1714564800000) or a duration ago (15m, 2h, 1d)",
  );
}
