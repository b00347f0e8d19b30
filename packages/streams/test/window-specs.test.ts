// Window specifications: TimeWindows (tumbling, hopping) and which windows a timestamp falls
// into, SlidingWindows, SessionWindows, EmitStrategy, and their validation (Kafka's rules).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EmitStrategy, SessionWindows, SlidingWindows, TimeWindows } from "../src/dsl/windows.ts";

describe("TimeWindows", () => {
  test("tumbling: one window per timestamp, aligned to the epoch, end exclusive", () => {
    const windows = TimeWindows.ofSizeWithNoGrace(10);
    assert.deepEqual([...windows.windowsFor(0)], [[0, { startMs: 0, endMs: 10 }]]);
    assert.deepEqual([...windows.windowsFor(9)], [[0, { startMs: 0, endMs: 10 }]]);
    assert.deepEqual([...windows.windowsFor(10)], [[10, { startMs: 10, endMs: 20 }]]);
    assert.equal(windows.advanceMs, 10);
    assert.equal(windows.gracePeriodMs(), 0);
    assert.equal(windows.size(), 10);
  });

  test("hopping: size/advance overlapping windows, none starting before 0", () => {
    const windows = TimeWindows.ofSizeWithNoGrace(10).advanceBy(3);
    assert.deepEqual([...windows.windowsFor(10).keys()], [3, 6, 9]);
    assert.deepEqual([...windows.windowsFor(0).keys()], [0]);
    assert.deepEqual([...windows.windowsFor(4).keys()], [0, 3]);
    assert.deepEqual(windows.windowsFor(12).get(12), { startMs: 12, endMs: 22 });
    assert.deepEqual([...windows.windowsFor(-1).keys()], []);
  });

  test("windowsFor is every advance-aligned window containing the timestamp (property)", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 50 })
          .chain((size) =>
            fc.tuple(fc.constant(size), fc.integer({ min: 1, max: size }), fc.integer({ min: 0, max: 10_000 })),
          ),
        ([size, advance, timestamp]) => {
          const windows = TimeWindows.of({ sizeMs: size, advanceMs: advance });
          const expected: number[] = [];
          for (let start = 0; start <= timestamp; start += advance) {
            if (start + size > timestamp) expected.push(start);
          }
          const actual = [...windows.windowsFor(timestamp)];
          assert.deepEqual(
            actual.map(([start]) => start),
            expected,
          );
          for (const [start, window] of actual) assert.deepEqual(window, { startMs: start, endMs: start + size });
        },
      ),
    );
  });

  test("Kafka's names and the options form build the same windows", () => {
    assert.ok(TimeWindows.of({ sizeMs: 60_000, graceMs: 5_000 }).equals(TimeWindows.ofSizeAndGrace(60_000, 5_000)));
    assert.ok(
      TimeWindows.of({ sizeMs: 60_000, advanceMs: 15_000 }).equals(
        TimeWindows.ofSizeWithNoGrace(60_000).advanceBy(15_000),
      ),
    );
    assert.ok(!TimeWindows.ofSizeAndGrace(10, 1).equals(TimeWindows.ofSizeAndGrace(10, 2)));
    assert.equal(TimeWindows.ofSizeAndGrace(10, 2).advanceBy(5).graceMs, 2);
    assert.equal(String(TimeWindows.ofSizeAndGrace(10, 2)), "TimeWindows{sizeMs=10, advanceMs=10, graceMs=2}");
  });

  test("validation as Kafka's: size > 0, 0 < advance ≤ size, grace ≥ 0, whole ms", () => {
    assert.throws(() => TimeWindows.ofSizeWithNoGrace(0), RangeError);
    assert.throws(() => TimeWindows.ofSizeWithNoGrace(-1), RangeError);
    assert.throws(() => TimeWindows.ofSizeWithNoGrace(1.5), RangeError);
    assert.throws(() => TimeWindows.ofSizeAndGrace(10, -1), RangeError);
    assert.throws(() => TimeWindows.ofSizeWithNoGrace(10).advanceBy(0), RangeError);
    assert.throws(() => TimeWindows.ofSizeWithNoGrace(10).advanceBy(11), RangeError);
    TimeWindows.ofSizeWithNoGrace(10).advanceBy(10);
  });
});

describe("SlidingWindows", () => {
  test("time difference and grace; a zero difference is refused (Kafka fails on the first record)", () => {
    const windows = SlidingWindows.ofTimeDifferenceAndGrace(10, 3);
    assert.equal(windows.timeDifferenceMs, 10);
    assert.equal(windows.gracePeriodMs(), 3);
    assert.ok(SlidingWindows.of({ timeDifferenceMs: 10 }).equals(SlidingWindows.ofTimeDifferenceWithNoGrace(10)));
    assert.throws(() => SlidingWindows.ofTimeDifferenceWithNoGrace(0), RangeError);
    assert.throws(() => SlidingWindows.ofTimeDifferenceWithNoGrace(-1), RangeError);
    assert.throws(() => SlidingWindows.ofTimeDifferenceAndGrace(10, -1), RangeError);
  });
});

describe("SessionWindows", () => {
  test("inactivity gap > 0 and grace ≥ 0", () => {
    const windows = SessionWindows.ofInactivityGapAndGrace(30_000, 5_000);
    assert.equal(windows.inactivityGap(), 30_000);
    assert.equal(windows.gracePeriodMs(), 5_000);
    assert.ok(SessionWindows.of({ inactivityGapMs: 5 }).equals(SessionWindows.ofInactivityGapWithNoGrace(5)));
    assert.throws(() => SessionWindows.ofInactivityGapWithNoGrace(0), RangeError);
    assert.throws(() => SessionWindows.ofInactivityGapAndGrace(5, -1), RangeError);
  });
});

describe("EmitStrategy", () => {
  test("on window update (default) or on window close", () => {
    assert.deepEqual(EmitStrategy.onWindowUpdate(), { type: "on-window-update" });
    assert.deepEqual(EmitStrategy.onWindowClose(), { type: "on-window-close" });
  });
});
