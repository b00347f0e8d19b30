// Writes cases.txt: hand-written edge cases and seeded random ones for the windowed aggregations
// (format in WindowGolden.java). expected.txt is Kafka Streams' answer to them (./generate.sh).
// Run: node packages/streams/test/window-golden/generate-cases.ts
import { randomSource, writeCasesFile } from "../golden-support.ts";

type Kind = "time" | "sliding" | "session";
type Agg = "aggregate" | "count" | "reduce";
type Emit = "update" | "final";
type Step = readonly ["rec", string, number] | readonly ["wall", number];

interface Case {
  readonly id: string;
  readonly kind: Kind;
  readonly p1: number;
  readonly p2: number;
  readonly graceMs: number;
  readonly emit: Emit;
  readonly agg: Agg;
  /** Old values are sent with new ones (a downstream table operation asks for them). */
  readonly old?: boolean;
  readonly steps: readonly Step[];
}

function recs(...records: readonly (readonly [string, number])[]): Step[] {
  return records.map(([key, ts]) => ["rec", key, ts] as const);
}

const handWritten: Case[] = [
  // Tumbling, in order, two keys, a window boundary exactly at a record.
  {
    id: "tumbling-in-order",
    kind: "time",
    p1: 10,
    p2: 10,
    graceMs: 0,
    emit: "update",
    agg: "aggregate",
    steps: recs(["a", 0], ["a", 5], ["b", 3], ["a", 10], ["a", 19], ["a", 20]),
  },
  // Grace boundary: with grace 5, [0,10) is open while stream time − 5 < 10, closed at stream time 15.
  {
    id: "tumbling-grace-boundary",
    kind: "time",
    p1: 10,
    p2: 10,
    graceMs: 5,
    emit: "update",
    agg: "aggregate",
    steps: recs(["a", 0], ["a", 14], ["a", 9], ["a", 15], ["a", 9], ["a", 10]),
  },
  // No grace: a record one ms late for its window is dropped, one for the current window is not.
  {
    id: "tumbling-no-grace-late",
    kind: "time",
    p1: 10,
    p2: 10,
    graceMs: 0,
    emit: "update",
    agg: "count",
    steps: recs(["a", 5], ["a", 10], ["a", 9], ["a", 10], ["b", 0], ["b", 19], ["b", 20], ["b", 19]),
  },
  // Hopping: every record falls into size/advance windows; overlaps near 0 are clipped.
  {
    id: "hopping-overlap",
    kind: "time",
    p1: 10,
    p2: 3,
    graceMs: 0,
    emit: "update",
    agg: "aggregate",
    steps: recs(["a", 0], ["a", 4], ["a", 9], ["a", 12], ["a", 11], ["a", 20]),
  },
  {
    id: "hopping-grace-out-of-order",
    kind: "time",
    p1: 10,
    p2: 5,
    graceMs: 4,
    emit: "update",
    agg: "count",
    steps: recs(["a", 7], ["a", 13], ["a", 3], ["a", 18], ["a", 4], ["a", 14], ["a", 19], ["a", 8]),
  },
  // Emit-final: each window once, when stream time passes end + grace; late records dropped.
  {
    id: "tumbling-emit-final",
    kind: "time",
    p1: 10,
    p2: 10,
    graceMs: 2,
    emit: "final",
    agg: "aggregate",
    steps: recs(["a", 1], ["b", 2], ["a", 11], ["a", 9], ["a", 12], ["b", 8], ["a", 25], ["a", 31], ["b", 40]),
  },
  {
    id: "hopping-emit-final",
    kind: "time",
    p1: 10,
    p2: 5,
    graceMs: 0,
    emit: "final",
    agg: "count",
    steps: recs(["a", 1], ["a", 6], ["a", 11], ["b", 12], ["a", 16], ["a", 30], ["a", 100]),
  },
  {
    id: "tumbling-emit-final-reduce",
    kind: "time",
    p1: 5,
    p2: 5,
    graceMs: 0,
    emit: "final",
    agg: "reduce",
    steps: recs(["a", 0], ["a", 4], ["a", 5], ["a", 9], ["a", 10], ["a", 3], ["a", 15]),
  },
  // Emit-final throttled by wall-clock time (Kafka's default 1000 ms emit interval).
  {
    id: "tumbling-emit-final-throttled",
    kind: "time",
    p1: 10,
    p2: 10,
    graceMs: 0,
    emit: "final",
    agg: "count",
    steps: [
      ["rec", "a", 1],
      ["rec", "a", 12],
      ["wall", 500],
      ["rec", "a", 25],
      ["wall", 600],
      ["rec", "a", 36],
      ["rec", "a", 47],
      ["wall", 1000],
      ["rec", "a", 48],
    ],
  },
  // Sliding: Kafka's left and right windows as records arrive in order and out of order.
  {
    id: "sliding-in-order",
    kind: "sliding",
    p1: 10,
    p2: 0,
    graceMs: 0,
    emit: "update",
    agg: "aggregate",
    steps: recs(["a", 10], ["a", 15], ["a", 20], ["a", 31], ["a", 50]),
  },
  {
    id: "sliding-out-of-order",
    kind: "sliding",
    p1: 10,
    p2: 0,
    graceMs: 20,
    emit: "update",
    agg: "aggregate",
    steps: recs(["a", 20], ["a", 12], ["a", 25], ["a", 16], ["a", 30], ["a", 14], ["a", 20]),
  },
  {
    id: "sliding-early-records",
    kind: "sliding",
    p1: 10,
    p2: 0,
    graceMs: 10,
    emit: "update",
    agg: "aggregate",
    steps: recs(["a", 5], ["a", 2], ["a", 8], ["a", 12], ["a", 0], ["a", 9], ["a", 15]),
  },
  {
    id: "sliding-grace-boundary",
    kind: "sliding",
    p1: 5,
    p2: 0,
    graceMs: 3,
    emit: "update",
    agg: "count",
    steps: recs(["a", 10], ["a", 18], ["a", 10], ["a", 19], ["a", 11], ["a", 10], ["a", 30]),
  },
  {
    id: "sliding-emit-final",
    kind: "sliding",
    p1: 5,
    p2: 0,
    graceMs: 2,
    emit: "final",
    agg: "aggregate",
    steps: recs(["a", 10], ["a", 12], ["b", 11], ["a", 20], ["a", 14], ["a", 30], ["b", 40], ["a", 50]),
  },
  // Kafka's backward path loses a right window after an early record's combined window [0, d]: the
  // record at 14 finds its left window [0,14] and then the previous record's right window is not
  // made when 28 arrives (the in-order path would make [15,29]).
  {
    id: "sliding-early-right-window",
    kind: "sliding",
    p1: 14,
    p2: 0,
    graceMs: 2,
    emit: "update",
    agg: "aggregate",
    steps: recs(["a", 13], ["a", 30], ["a", 14], ["a", 28]),
  },
  // The same after a late record whose left window was dropped: 60's left window [49,60] is closed,
  // so when 71 arrives Kafka's backward path takes 59 for the previous record and never makes
  // 60's right window [61,72].
  {
    id: "sliding-late-right-window",
    kind: "sliding",
    p1: 11,
    p2: 0,
    graceMs: 2,
    emit: "update",
    agg: "aggregate",
    steps: recs(["a", 48], ["a", 59], ["a", 73], ["a", 60], ["a", 71]),
  },
  // Sessions: a bridging record merges two sessions; a record inside a session changes nothing but the aggregate.
  {
    id: "session-merge",
    kind: "session",
    p1: 5,
    p2: 0,
    graceMs: 0,
    emit: "update",
    agg: "aggregate",
    steps: recs(["a", 0], ["a", 10], ["a", 5], ["a", 3], ["a", 30], ["b", 30], ["a", 36]),
  },
  {
    id: "session-grace-boundary",
    kind: "session",
    p1: 5,
    p2: 0,
    graceMs: 3,
    emit: "update",
    agg: "count",
    steps: recs(["a", 0], ["a", 12], ["a", 4], ["a", 13], ["a", 4], ["a", 5], ["a", 20]),
  },
  {
    id: "session-merge-three",
    kind: "session",
    p1: 3,
    p2: 0,
    graceMs: 10,
    emit: "update",
    agg: "reduce",
    steps: recs(["a", 0], ["a", 8], ["a", 16], ["a", 4], ["a", 12], ["a", 2]),
  },
  {
    id: "session-emit-final",
    kind: "session",
    p1: 5,
    p2: 0,
    graceMs: 2,
    emit: "final",
    agg: "aggregate",
    steps: recs(["a", 0], ["a", 3], ["b", 4], ["a", 20], ["a", 8], ["b", 30], ["a", 40], ["a", 41], ["a", 60]),
  },
  {
    id: "session-emit-final-merge-after-close",
    kind: "session",
    p1: 5,
    p2: 0,
    graceMs: 0,
    emit: "final",
    agg: "count",
    steps: recs(["a", 0], ["a", 11], ["a", 4], ["a", 7], ["a", 30]),
  },
  // Old values: Kafka sends the initializer's value as the old value of a new time window, none for a
  // new session, and the merged-away sessions' aggregates when sessions merge.
  {
    id: "tumbling-old-values",
    kind: "time",
    p1: 10,
    p2: 5,
    graceMs: 5,
    emit: "update",
    agg: "aggregate",
    old: true,
    steps: recs(["a", 1], ["a", 7], ["a", 12], ["a", 3]),
  },
  {
    id: "tumbling-old-values-count",
    kind: "time",
    p1: 10,
    p2: 10,
    graceMs: 0,
    emit: "update",
    agg: "count",
    old: true,
    steps: recs(["a", 1], ["a", 2], ["b", 3]),
  },
  {
    id: "tumbling-old-values-reduce",
    kind: "time",
    p1: 10,
    p2: 10,
    graceMs: 0,
    emit: "update",
    agg: "reduce",
    old: true,
    steps: recs(["a", 1], ["a", 2], ["a", 12]),
  },
  {
    id: "sliding-old-values",
    kind: "sliding",
    p1: 10,
    p2: 0,
    graceMs: 10,
    emit: "update",
    agg: "aggregate",
    old: true,
    steps: recs(["a", 5], ["a", 12], ["a", 20], ["a", 15], ["a", 8]),
  },
  {
    id: "session-old-values",
    kind: "session",
    p1: 5,
    p2: 0,
    graceMs: 0,
    emit: "update",
    agg: "aggregate",
    old: true,
    steps: recs(["a", 0], ["a", 10], ["a", 5], ["a", 6]),
  },
];

function randomCases(count: number, seed: number): Case[] {
  const { next, int, pick } = randomSource(seed);
  const cases: Case[] = [];
  for (let n = 0; n < count; n++) {
    const kind = pick<Kind>(["time", "time", "sliding", "sliding", "session", "session"]);
    const emit = pick<Emit>(["update", "update", "final"]);
    const agg = pick<Agg>(["aggregate", "aggregate", "count", "reduce"]);
    const graceMs = pick([0, 0, int(1, 10)]);
    let p1: number;
    let p2 = 0;
    if (kind === "time") {
      p1 = int(1, 20);
      p2 = next() < 0.5 ? p1 : int(1, p1);
    } else if (kind === "sliding") {
      p1 = int(1, 15);
    } else {
      p1 = int(1, 10);
    }
    const old = emit === "update" && next() < 0.35;
    const keys = pick([["a"], ["a", "b"], ["a", "b", "c"]]);
    const lateness = pick([0, 3, 10, 25]);
    const steps: Step[] = [];
    let base = int(0, 20);
    const length = int(3, 25);
    for (let i = 0; i < length; i++) {
      base += int(0, 6);
      const ts = Math.max(0, base - (next() < 0.3 ? int(0, lateness) : 0));
      steps.push(["rec", pick(keys), ts]);
    }
    cases.push({ id: `random-${n}`, kind, p1, p2, graceMs, emit, agg, old, steps });
  }
  return cases;
}

function render(cases: readonly Case[]): string[] {
  const lines: string[] = [];
  for (const c of cases) {
    lines.push(`case ${c.id} ${c.kind} ${c.p1} ${c.p2} ${c.graceMs} ${c.emit} ${c.agg}${c.old === true ? " old" : ""}`);
    let value = 0;
    for (const step of c.steps) {
      if (step[0] === "wall") lines.push(`wall ${step[1]}`);
      else lines.push(`rec ${step[1]} ${step[2]} v${value++}`);
    }
    lines.push("end");
  }
  return lines;
}

writeCasesFile(
  import.meta.dirname,
  [
    "Windowing cases for WindowGolden.java (Kafka Streams) and window-golden.test.ts (Samsa).",
    "Generated by generate-cases.ts; do not edit by hand.",
  ],
  render([...handWritten, ...randomCases(150, 20_251_125)]),
);
