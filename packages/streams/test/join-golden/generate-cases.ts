// Writes cases.txt: hand-written edge cases and seeded random ones for the KStream joins (format in
// JoinGolden.java). expected.txt is Kafka Streams' answer to them (./generate.sh).
// Run: node packages/streams/test/join-golden/generate-cases.ts
import { randomSource, writeCasesFile } from "../golden-support.ts";

/** ss: stream–stream; st: stream–table; sg: stream–global-table. */
type Kind = "ss" | "st" | "sg";
type JoinType = "join" | "left" | "outer";
/** A record of the left stream (`l`) or of the right side (`r`: stream, table or global table); null: `-`. */
type Step = readonly ["l" | "r", string | null, number, string | null];

interface Case {
  readonly id: string;
  readonly kind: Kind;
  readonly type: JoinType;
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly graceMs: number;
  readonly steps: readonly Step[];
}

const ss = (
  id: string,
  type: JoinType,
  [beforeMs, afterMs, graceMs]: readonly [number, number, number],
  steps: readonly Step[],
): Case => ({ id, kind: "ss", type, beforeMs, afterMs, graceMs, steps });
const table = (id: string, kind: "st" | "sg", type: "join" | "left", steps: readonly Step[]): Case => ({
  id,
  kind,
  type,
  beforeMs: 0,
  afterMs: 0,
  graceMs: 0,
  steps,
});

const handWritten: Case[] = [];
for (const type of ["join", "left", "outer"] as const) {
  handWritten.push(
    // Both directions, a record exactly at each bound of a symmetric window and one past it.
    ss(
      `${type}-symmetric-bounds`,
      type,
      [10, 10, 0],
      [
        ["l", "a", 100, "v0"],
        ["r", "a", 90, "v1"],
        ["r", "a", 110, "v2"],
        ["r", "a", 111, "v3"],
        ["l", "a", 121, "v4"],
        ["l", "a", 122, "v5"],
        ["r", "b", 130, "v6"],
        ["l", "c", 200, "v7"],
      ],
    ),
    // Asymmetric window: right records from 5 before to 10 after a left record join it.
    ss(
      `${type}-asymmetric-bounds`,
      type,
      [5, 10, 20],
      [
        ["l", "a", 100, "v0"],
        ["r", "a", 95, "v1"],
        ["r", "a", 94, "v2"],
        ["r", "a", 110, "v3"],
        ["r", "a", 111, "v4"],
        ["r", "b", 200, "v5"],
        ["l", "b", 190, "v6"],
        ["l", "b", 205, "v7"],
        ["l", "b", 206, "v8"],
        ["l", "b", 189, "v9"],
        ["r", "z", 300, "v10"],
      ],
    ),
    // A window only after the record (before is negative).
    ss(
      `${type}-negative-before`,
      type,
      [-2, 10, 0],
      [
        ["l", "a", 100, "v0"],
        ["r", "a", 101, "v1"],
        ["r", "a", 102, "v2"],
        ["r", "a", 110, "v3"],
        ["l", "a", 95, "v4"],
        ["r", "b", 200, "v5"],
      ],
    ),
    // Grace: out-of-order records within window + grace still join; later ones are too late.
    ss(
      `${type}-grace-late`,
      type,
      [10, 10, 5],
      [
        ["l", "a", 0, "v0"],
        ["r", "b", 20, "v1"],
        ["r", "a", 9, "v2"],
        ["r", "b", 24, "v3"],
        ["r", "a", 10, "v4"],
        ["r", "b", 26, "v5"],
        ["r", "a", 10, "v6"],
        ["l", "a", 16, "v7"],
        ["r", "b", 60, "v8"],
        ["l", "a", 30, "v9"],
        ["r", "c", 100, "v10"],
      ],
    ),
    // No grace: unmatched records are emitted as soon as stream time passes their window.
    ss(
      `${type}-non-joined-timing`,
      type,
      [10, 10, 0],
      [
        ["l", "a", 0, "v0"],
        ["r", "b", 5, "v1"],
        ["l", "c", 10, "v2"],
        ["l", "c", 11, "v3"],
        ["r", "d", 15, "v4"],
        ["r", "d", 16, "v5"],
        ["l", "e", 30, "v6"],
        ["l", "a", 5, "v7"],
        ["r", "f", 100, "v8"],
      ],
    ),
    // Duplicates: several records with the same key and time on each side.
    ss(
      `${type}-duplicates`,
      type,
      [5, 5, 0],
      [
        ["l", "a", 5, "v0"],
        ["l", "a", 5, "v1"],
        ["r", "a", 5, "v2"],
        ["r", "a", 5, "v3"],
        ["l", "b", 7, "v4"],
        ["l", "b", 7, "v5"],
        ["r", "c", 8, "v6"],
        ["r", "c", 8, "v7"],
        ["r", "z", 50, "v8"],
        ["l", "a", 5, "v9"],
      ],
    ),
    // Null keys and values on both sides.
    ss(
      `${type}-nulls`,
      type,
      [10, 10, 0],
      [
        ["l", null, 3, "v0"],
        ["l", "a", 4, null],
        ["r", null, 5, "v1"],
        ["r", "a", 6, null],
        ["l", "a", 7, "v2"],
        ["r", "a", 8, "v3"],
        ["l", null, 100, "v4"],
        ["r", "a", 40, "v5"],
        ["l", null, 200, null],
        ["r", "b", 300, "v6"],
      ],
    ),
    // An out-of-order unmatched record whose window has already closed is emitted at once.
    ss(
      `${type}-out-of-order-closed`,
      type,
      [10, 10, 100],
      [
        ["l", "a", 1000, "v0"],
        ["l", "b", 50, "v1"],
        ["r", "c", 60, "v2"],
        ["r", "a", 995, "v3"],
        ["l", "d", 1200, "v4"],
      ],
    ),
  );
}
for (const kind of ["st", "sg"] as const) {
  for (const type of ["join", "left"] as const) {
    // sg: the stream value is "<global key>.<payload>"; no dot, or nothing before it: no key.
    const v = (key: string, n: number): string => (kind === "sg" ? `${key}.v${n}` : `v${n}`);
    handWritten.push(
      table(`${kind}-${type}-basics`, kind, type, [
        ["l", "a", 0, v("a", 0)],
        ["r", "a", 1, "t1"],
        ["l", "a", 2, v("a", 2)],
        ["r", "a", 3, "t3"],
        ["l", "a", 1, v("a", 4)],
        ["r", "a", 4, null],
        ["l", "a", 5, v("a", 5)],
        ["r", "b", 6, "t6"],
        ["l", "b", 7, v("b", 7)],
        ["l", "c", 8, v("b", 8)],
        ["l", null, 9, v("b", 9)],
        ["l", "b", 10, null],
        ["r", null, 11, "t11"],
        ["l", "b", 12, kind === "sg" ? "v12" : v("b", 12)],
        ["l", "b", 13, kind === "sg" ? ".v13" : v("b", 13)],
        ["r", "b", 2, "t14"],
        ["l", "b", 3, v("b", 15)],
      ]),
    );
  }
}

function randomCases(count: number, seed: number): Case[] {
  const { next, int, pick } = randomSource(seed);
  const cases: Case[] = [];
  for (let n = 0; n < count; n++) {
    const kind = pick<Kind>(["ss", "ss", "ss", "ss", "st", "sg"]);
    const type = kind === "ss" ? pick<JoinType>(["join", "left", "outer"]) : pick<JoinType>(["join", "left"]);
    const afterMs = int(0, 12);
    const beforeMs = next() < 0.5 ? afterMs : int(Math.max(-afterMs, -3), 12);
    const graceMs = pick([0, 0, int(1, 10)]);
    const keys = pick([["a"], ["a", "b"], ["a", "b", "c"]]);
    const lateness = pick([0, 5, 15, 40]);
    const nulls = next() < 0.3 ? 0.08 : 0;
    const steps: Step[] = [];
    let base = int(0, 20);
    const length = int(4, 30);
    for (let i = 0; i < length; i++) {
      base += int(0, 5);
      const ts = Math.max(0, base - (next() < 0.3 ? int(0, lateness) : 0));
      const side = next() < 0.5 ? "l" : "r";
      const key = next() < nulls ? null : pick(keys);
      let value: string | null = next() < nulls ? null : `v${i}`;
      if (kind === "sg" && side === "l" && value !== null) value = `${next() < 0.1 ? "" : pick(keys)}.${value}`;
      steps.push([side, key, ts, value]);
    }
    cases.push({ id: `random-${n}`, kind, type, beforeMs, afterMs, graceMs, steps });
  }
  return cases;
}

function render(cases: readonly Case[]): string[] {
  const lines: string[] = [];
  for (const c of cases) {
    lines.push(`case ${c.id} ${c.kind} ${c.type} ${c.beforeMs} ${c.afterMs} ${c.graceMs}`);
    for (const [side, key, ts, value] of c.steps) lines.push(`${side} ${key ?? "-"} ${ts} ${value ?? "-"}`);
    lines.push("end");
  }
  return lines;
}

writeCasesFile(
  import.meta.dirname,
  [
    "Join cases for JoinGolden.java (Kafka Streams) and join-golden.test.ts (Samsa).",
    "Generated by generate-cases.ts; do not edit by hand.",
  ],
  render([...handWritten, ...randomCases(200, 20_251_125)]),
);
