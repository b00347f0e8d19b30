// The pure parts of `samsa group`: resolving a seek target per partition (earliest, latest, clamped
// offsets and shifts, times with "no record at or after" meaning the log end), the plan rows and
// their changes, parsing --to/--shift-by, lag per partition with owners and totals.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CliError, UsageError } from "../src/framework/errors.ts";
import { parseSeekTarget } from "../src/commands/group.ts";
import { formatChange, isInactive, lagRows, planSeek, resolveSeek, totalLag } from "../src/kafka/groups.ts";
import type { GroupMemberInfo, PartitionOffsets, SeekTarget } from "../src/kafka/groups.ts";

const partition = (overrides: Partial<PartitionOffsets> = {}): PartitionOffsets => ({
  topic: "orders",
  partition: 0,
  current: 40n,
  logStart: 10n,
  logEnd: 100n,
  ...overrides,
});

test("earliest and latest are the log start and the log end", () => {
  assert.equal(resolveSeek({ kind: "beginning" }, partition()), 10n);
  assert.equal(resolveSeek({ kind: "end" }, partition()), 100n);
});

test("offsets and shifts are clamped into [log start, log end]", () => {
  assert.equal(resolveSeek({ kind: "offset", offset: 5n }, partition()), 10n);
  assert.equal(resolveSeek({ kind: "offset", offset: 55n }, partition()), 55n);
  assert.equal(resolveSeek({ kind: "offset", offset: 500n }, partition()), 100n);
  assert.equal(resolveSeek({ kind: "shift", by: -10n }, partition()), 30n);
  assert.equal(resolveSeek({ kind: "shift", by: -1000n }, partition()), 10n);
  assert.equal(resolveSeek({ kind: "shift", by: 1000n }, partition()), 100n);
  fc.assert(
    fc.property(fc.bigInt(-1000n, 1000n), fc.bigInt(0n, 200n), fc.bigInt(0n, 200n), (by, a, b) => {
      const [logStart, logEnd] = a <= b ? [a, b] : [b, a];
      const current = logStart + (logEnd - logStart) / 2n;
      const target = resolveSeek({ kind: "shift", by }, partition({ current, logStart, logEnd }));
      assert.ok(target >= logStart && target <= logEnd);
      if (current + by >= logStart && current + by <= logEnd) assert.equal(target, current + by);
    }),
  );
});

test("a time gives the first offset at or after it, or the log end when no record is that new", () => {
  const at = { kind: "timestamp", timestampMs: 1_700_000_000_000 } as const;
  assert.equal(resolveSeek(at, partition({ byTime: 42n })), 42n);
  assert.equal(resolveSeek(at, partition({ byTime: -1n })), 100n);
});

test("a shift needs a committed offset: a clear error naming the partition", () => {
  assert.throws(
    () => resolveSeek({ kind: "shift", by: 1n }, partition({ current: null, partition: 3 })),
    (error: unknown) => error instanceof CliError && /orders partition 3 has no committed offset/.test(error.message),
  );
});

test("the plan is sorted by topic and partition and shows each change", () => {
  const target: SeekTarget = { kind: "timestamp", timestampMs: 0 };
  const plan = planSeek(target, [
    partition({ topic: "b", partition: 1, current: 7n, byTime: 3n, logStart: 0n }),
    partition({ topic: "a", partition: 2, current: null, byTime: -1n, logEnd: 9n }),
    partition({ topic: "b", partition: 0, current: 5n, byTime: 8n, logStart: 0n }),
  ]);
  assert.deepEqual(plan, [
    { topic: "a", partition: 2, current: null, target: 9n, change: null },
    { topic: "b", partition: 0, current: 5n, target: 8n, change: 3n },
    { topic: "b", partition: 1, current: 7n, target: 3n, change: -4n },
  ]);
  assert.deepEqual(
    plan.map((r) => formatChange(r.change)),
    ["-", "+3", "-4"],
  );
  assert.equal(formatChange(0n), "0");
});

test("--to and --shift-by: exactly one; positions as elsewhere; negative shifts", () => {
  const now = Date.parse("2024-05-01T12:00:00Z");
  assert.deepEqual(parseSeekTarget("earliest", undefined, now), { kind: "beginning" });
  assert.deepEqual(parseSeekTarget("latest", undefined, now), { kind: "end" });
  assert.deepEqual(parseSeekTarget("17", undefined, now), { kind: "offset", offset: 17n });
  assert.deepEqual(parseSeekTarget("1h", undefined, now), { kind: "timestamp", timestampMs: now - 3_600_000 });
  assert.deepEqual(parseSeekTarget("@1000", undefined, now), { kind: "timestamp", timestampMs: 1000 });
  assert.deepEqual(parseSeekTarget(undefined, "-25", now), { kind: "shift", by: -25n });
  assert.throws(() => parseSeekTarget(undefined, undefined, now), UsageError);
  assert.throws(() => parseSeekTarget("earliest", "3", now), UsageError);
  assert.throws(() => parseSeekTarget(undefined, "three", now), UsageError);
  assert.throws(() => parseSeekTarget("yesterday-ish", undefined, now), UsageError);
});

const member = (id: string, assignment: GroupMemberInfo["assignment"]): GroupMemberInfo => ({
  memberId: id,
  groupInstanceId: null,
  clientId: `client-${id}`,
  host: "/10.0.0.1",
  assignment,
});

test("lag: end minus committed per partition, owners from assignments, unknowns shown as null", () => {
  const rows = lagRows({
    committed: new Map([
      [
        "orders",
        new Map([
          [0, 5n],
          [1, 12n],
        ]),
      ],
      ["gone", new Map([[0, 3n]])],
    ]),
    logEnds: new Map([
      [
        "orders",
        new Map([
          [0, 10n],
          [1, 10n],
          [2, 4n],
        ]),
      ],
    ]),
    members: [member("m1", [{ topic: "orders", partitions: [0, 2] }])],
  });
  assert.deepEqual(
    rows.map((r) => [r.topic, r.partition, r.committedOffset, r.logEndOffset, r.lag, r.owner?.memberId ?? null]),
    [
      ["gone", 0, 3n, null, null, null],
      ["orders", 0, 5n, 10n, 5n, "m1"],
      ["orders", 1, 12n, 10n, 0n, null], // committed past the end (truncated log): no negative lag
      ["orders", 2, null, 4n, null, "m1"], // assigned, nothing committed yet
    ],
  );
  assert.equal(totalLag(rows), 5n);
});

test("a group may be changed only without members, Empty or Dead", () => {
  const base = { group: "g", type: "classic", protocolType: "consumer", protocol: "" } as const;
  assert.equal(isInactive({ ...base, state: "Empty", members: [] }), true);
  assert.equal(isInactive({ ...base, state: "Dead", members: [] }), true);
  assert.equal(isInactive({ ...base, state: "Stable", members: [member("m", [])] }), false);
  assert.equal(isInactive({ ...base, state: "PreparingRebalance", members: [] }), false);
});
