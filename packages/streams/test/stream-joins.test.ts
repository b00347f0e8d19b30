// KStream joins through the TopologyTestDriver: stream–stream (inner, left, outer: window bounds,
// grace and late records, duplicates, when unmatched records are emitted, null keys and values),
// stream–table (lookups at arrival, tombstones, later table updates), stream–global-table (the key
// mapper), repartitioning and co-partitioning. join-golden.test.ts checks the same processors
// against Kafka Streams itself on many more cases; these spell the rules out one by one.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { silentLogger } from "../src/logger.ts";
import { Serdes } from "../src/serdes.ts";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { JoinWindows } from "../src/dsl/join-windows.ts";
import type { KStream } from "../src/dsl/kstream.ts";
import type { StreamJoined } from "../src/dsl/join-options.ts";
import { TopologyTestDriver } from "../src/test-driver.ts";
import { TopologyError } from "../src/topology/errors.ts";

const strings = { key: Serdes.string(), value: Serdes.string() };
const joined: StreamJoined<string, string, string> = { ...strings, otherValue: Serdes.string() };

interface Out {
  readonly key: string | null;
  readonly value: string | null;
  readonly ts: number;
}

/** A driver over `build`'s topology, with the inputs `left` and `right` and the output `out`. */
function harness(build: (builder: StreamsBuilder) => KStream<string | null, string>, driverOptions = {}) {
  const builder = new StreamsBuilder({ logger: silentLogger });
  build(builder).to("out", strings);
  const driver = new TopologyTestDriver(builder.build(), driverOptions);
  const left = driver.createInputTopic("left", strings);
  const right = driver.createInputTopic("right", strings);
  const out = driver.createOutputTopic("out", strings);
  return {
    driver,
    l: (key: string | null, value: string | null, ts: number) => left.pipeInput(key, value, ts),
    r: (key: string | null, value: string | null, ts: number) => right.pipeInput(key, value, ts),
    read: (): Out[] => out.readRecordsToList().map((r) => ({ key: r.key, value: r.value, ts: r.timestampMs })),
  };
}

const show = (value: string | null, other: string | null): string => `${value}+${other}`;

function streamJoin(type: "join" | "left" | "outer", windows: JoinWindows, options = joined) {
  return (b: StreamsBuilder): KStream<string | null, string> => {
    const l = b.stream("left", strings);
    const r = b.stream("right", strings);
    if (type === "join") return l.join(r, show, windows, options);
    if (type === "left") return l.leftJoin(r, show, windows, options);
    return l.outerJoin(r, show, windows, options);
  };
}

describe("JoinWindows", () => {
  test("before and after make an asymmetric window; size is before + after", () => {
    const w = JoinWindows.ofTimeDifferenceAndGrace(10, 3).before(2);
    assert.equal(w.beforeMs, 2);
    assert.equal(w.afterMs, 10);
    assert.equal(w.size(), 12);
    assert.equal(w.gracePeriodMs(), 3);
    assert.equal(JoinWindows.of({ timeDifferenceMs: 5 }).toString(), "JoinWindows{beforeMs=5, afterMs=5, graceMs=0}");
  });

  test("a negative interval or grace is rejected; a negative before is fine if after covers it", () => {
    assert.throws(() => JoinWindows.ofTimeDifferenceWithNoGrace(-1), RangeError);
    assert.throws(() => JoinWindows.ofTimeDifferenceAndGrace(1, -1), RangeError);
    assert.throws(() => JoinWindows.ofTimeDifferenceWithNoGrace(5).before(-6), RangeError);
    assert.equal(JoinWindows.ofTimeDifferenceWithNoGrace(5).before(-5).size(), 0);
  });
});

describe("stream–stream inner join", () => {
  test("records within the window join in both directions, at the larger timestamp", () => {
    const h = harness(streamJoin("join", JoinWindows.ofTimeDifferenceWithNoGrace(10)));
    h.l("a", "L1", 100);
    h.r("a", "R1", 95);
    h.r("a", "R2", 110);
    h.r("a", "R3", 111);
    h.r("b", "R4", 100);
    assert.deepEqual(h.read(), [
      { key: "a", value: "L1+R1", ts: 100 },
      { key: "a", value: "L1+R2", ts: 110 },
    ]);
    h.l("a", "L2", 101);
    assert.deepEqual(h.read(), [
      { key: "a", value: "L2+R1", ts: 101 },
      { key: "a", value: "L2+R2", ts: 110 },
      { key: "a", value: "L2+R3", ts: 111 },
    ]);
  });

  test("asymmetric windows: right records from `before` earlier to `after` later join, bounds included", () => {
    const h = harness(streamJoin("join", JoinWindows.ofTimeDifferenceWithNoGrace(10).before(5)));
    h.l("a", "L", 100);
    for (const ts of [94, 95, 110, 111]) h.r("a", `R${ts}`, ts);
    assert.deepEqual(
      h.read().map((o) => o.value),
      ["L+R95", "L+R110"],
    );
    // Seen from the right: a left record joins right records from `after` earlier to `before` later.
    h.r("b", "R", 200);
    for (const ts of [189, 190, 205, 206]) h.l("b", `L${ts}`, ts);
    assert.deepEqual(
      h.read().map((o) => o.value),
      ["L190+R", "L205+R"],
    );
  });

  test("duplicates within a window all join", () => {
    const h = harness(streamJoin("join", JoinWindows.ofTimeDifferenceWithNoGrace(5)));
    h.l("a", "L1", 5);
    h.l("a", "L2", 5);
    h.r("a", "R1", 5);
    assert.deepEqual(
      h.read().map((o) => o.value),
      ["L1+R1", "L2+R1"],
    );
    h.r("a", "R2", 6);
    assert.deepEqual(
      h.read().map((o) => o.value),
      ["L1+R2", "L2+R2"],
    );
  });

  test("out-of-order records join within window + grace; once expired from the store they do not", () => {
    const h = harness(streamJoin("join", JoinWindows.ofTimeDifferenceAndGrace(10, 5)));
    h.l("a", "L0", 0);
    h.r("a", "R9", 9); // out of order relative to nothing yet: joins
    h.l("b", "L24", 24); // the left store's time: 24; retention is size 20 + grace 5
    h.r("a", "R10", 10); // L0 is still kept (0 > 24 − 25)
    h.l("b", "L26", 26); // now L0 has expired (0 ≤ 26 − 25)
    h.r("a", "R10b", 10);
    assert.deepEqual(
      h.read().map((o) => o.value),
      ["L0+R9", "L0+R10"],
    );
  });

  test("records with a null key or value are dropped", () => {
    const h = harness(streamJoin("join", JoinWindows.ofTimeDifferenceWithNoGrace(10)));
    h.l(null, "L", 1);
    h.r(null, "R", 1);
    h.l("a", null, 1);
    h.r("a", "R", 2);
    h.r("a", null, 2);
    assert.deepEqual(h.read(), []);
  });

  test("the joiner gets the key as its third argument (Kafka's ValueJoinerWithKey)", () => {
    const h = harness((b) =>
      b
        .stream("left", strings)
        .join(b.stream("right", strings), (v, o, k) => `${k}:${v}${o}`, JoinWindows.of({ timeDifferenceMs: 1 })),
    );
    h.l("k", "x", 1);
    h.r("k", "y", 2);
    assert.deepEqual(
      h.read().map((o) => o.value),
      ["k:xy"],
    );
  });

  test("equals the pairs of a nested loop when nothing expires", () => {
    const record = fc.record({
      left: fc.boolean(),
      key: fc.constantFrom("a", "b"),
      ts: fc.integer({ min: 0, max: 60 }),
    });
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 25 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 10 }),
        (records, before, after) => {
          const h = harness(streamJoin("join", JoinWindows.ofTimeDifferenceAndGrace(after, 1000).before(before)));
          const expected: string[] = [];
          records.forEach((rec, i) => {
            const value = `${rec.left ? "L" : "R"}${i}@${rec.ts}`;
            if (rec.left) h.l(rec.key, value, rec.ts);
            else h.r(rec.key, value, rec.ts);
            for (let j = 0; j < i; j++) {
              const other = records[j] as typeof rec;
              if (other.left === rec.left || other.key !== rec.key) continue;
              const [l, r] = rec.left ? [rec, other] : [other, rec];
              const [li, ri] = rec.left ? [i, j] : [j, i];
              if (r.ts >= l.ts - before && r.ts <= l.ts + after)
                expected.push(`L${li}@${l.ts}+R${ri}@${r.ts}@${Math.max(l.ts, r.ts)}`);
            }
          });
          const actual = h.read().map((o) => `${o.value}@${o.ts}`);
          assert.deepEqual([...actual].sort(), [...expected].sort());
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("stream–stream left and outer joins", () => {
  test("left join: an unmatched left record is emitted with null once stream time passes its window end + grace", () => {
    const h = harness(streamJoin("left", JoinWindows.ofTimeDifferenceAndGrace(10, 2)));
    h.l("a", "L0", 0);
    h.l("b", "L5", 5);
    h.r("b", "R6", 6); // joins L5: L5 will not be emitted with null
    assert.deepEqual(h.read(), [{ key: "b", value: "L5+R6", ts: 6 }]);
    h.r("z", "R12", 12); // stream time 12 = 0 + 10 + 2: the window of L0 is still open
    assert.deepEqual(h.read(), []);
    h.l("c", "L13", 13); // 13 > 12: L0 is emitted, at its own timestamp
    assert.deepEqual(h.read(), [{ key: "a", value: "L0+null", ts: 0 }]);
    h.l("c", "L100", 100); // the right side's unmatched records are never emitted by a left join
    assert.deepEqual(h.read(), [{ key: "c", value: "L13+null", ts: 13 }]);
  });

  test("left join: an unmatched record that arrives after its window closed is emitted at once", () => {
    const h = harness(streamJoin("left", JoinWindows.ofTimeDifferenceWithNoGrace(10)));
    h.l("a", "L100", 100);
    h.l("b", "L50", 50);
    assert.deepEqual(h.read(), [{ key: "b", value: "L50+null", ts: 50 }]);
  });

  test("outer join: unmatched records of both sides are emitted, oldest first; a right record's window ends `before` after it", () => {
    const h = harness(streamJoin("outer", JoinWindows.ofTimeDifferenceWithNoGrace(10).before(3)));
    h.r("a", "R0", 0); // its window closes at 0 + before 3
    h.l("b", "L1", 1); // its window closes at 1 + after 10
    h.r("c", "R4", 4);
    assert.deepEqual(h.read(), [{ key: "a", value: "null+R0", ts: 0 }]);
    h.r("d", "R12", 12);
    assert.deepEqual(h.read(), [
      { key: "b", value: "L1+null", ts: 1 },
      { key: "c", value: "null+R4", ts: 4 },
    ]);
  });

  test("as in Kafka, a scan is skipped while the oldest unmatched record is within the processing side's own window", () => {
    const h = harness(streamJoin("outer", JoinWindows.ofTimeDifferenceWithNoGrace(10).before(3)));
    h.r("a", "R0", 0);
    // A left record only scans once stream time passes the oldest time + after (10), although R0
    // itself closed at 3.
    h.l("b", "L4", 4);
    assert.deepEqual(h.read(), []);
    h.l("b", "L11", 11);
    assert.deepEqual(h.read(), [{ key: "a", value: "null+R0", ts: 0 }]);
  });

  test("a record joined later is not emitted with null; duplicates of an unmatched record are all emitted", () => {
    const h = harness(streamJoin("outer", JoinWindows.ofTimeDifferenceWithNoGrace(5)));
    h.l("a", "L1", 1);
    h.l("a", "L2", 1);
    h.r("b", "R1", 1);
    h.l("b", "L3", 3); // joins R1: R1 leaves the outer store
    assert.deepEqual(
      h.read().map((o) => o.value),
      ["L3+R1"],
    );
    h.r("z", "R20", 20);
    assert.deepEqual(
      h.read().map((o) => `${o.key}:${o.value}`),
      ["a:L1+null", "a:L2+null"],
    );
  });

  test("null keys: left and outer joins pass them at once, joined with null; null values are dropped", () => {
    const left = harness(streamJoin("left", JoinWindows.ofTimeDifferenceWithNoGrace(5)));
    left.l(null, "L", 1);
    left.r(null, "R", 1);
    left.l("a", null, 1);
    assert.deepEqual(left.read(), [{ key: null, value: "L+null", ts: 1 }]);
    const outer = harness(streamJoin("outer", JoinWindows.ofTimeDifferenceWithNoGrace(5)));
    outer.l(null, "L", 1);
    outer.r(null, "R", 2);
    outer.r("a", null, 3);
    assert.deepEqual(outer.read(), [
      { key: null, value: "L+null", ts: 1 },
      { key: null, value: "null+R", ts: 2 },
    ]);
  });

  test("unmatched records wait for the wall-clock emit interval outside the test driver's default", () => {
    const h = harness(streamJoin("left", JoinWindows.ofTimeDifferenceWithNoGrace(1)), {
      appConfigs: { "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__": "1000" },
    });
    h.l("a", "L0", 0);
    h.l("b", "L10", 10); // first scan: emits L0, next scan allowed at wall clock 1000
    assert.deepEqual(
      h.read().map((o) => o.value),
      ["L0+null"],
    );
    h.l("c", "L20", 20);
    assert.deepEqual(h.read(), []);
    h.driver.advanceWallClockTime(1000);
    h.l("d", "L30", 30);
    assert.deepEqual(
      h.read().map((o) => o.value),
      ["L10+null", "L20+null"],
    );
  });
});

describe("stream–stream joins: topology", () => {
  test("key-changed sides are repartitioned, and StreamJoined names the stores", () => {
    const h = harness((b) =>
      b
        .stream("left", strings)
        .selectKey((_k, v) => v)
        .join(
          b.stream("right", strings).map((k, v) => ({ key: v, value: k })),
          show,
          JoinWindows.ofTimeDifferenceWithNoGrace(5),
          { ...joined, name: "jn", storeName: "js" },
        ),
    );
    h.l("x", "k1", 1);
    h.r("y", "k1", 2);
    assert.deepEqual(h.read(), [{ key: "k1", value: "k1+y", ts: 2 }]);
    const topics = h.driver.producedTopicNames();
    assert.ok(topics.has("topology-test-driver-jn-left-repartition"));
    assert.ok(topics.has("topology-test-driver-jn-right-repartition"));
    assert.ok(topics.has("topology-test-driver-js-this-join-store-changelog"));
    assert.ok(topics.has("topology-test-driver-js-other-join-store-changelog"));
  });

  test("the join stores' changelogs are not compacted: they keep duplicates", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    streamJoin("left", JoinWindows.ofTimeDifferenceAndGrace(10, 5))(builder).to("out", strings);
    const plan = builder.build().plan("app");
    const changelogs = plan.internalTopics.filter((t) => t.kind === "changelog");
    const byName = new Map(changelogs.map((t) => [t.name, t.configs]));
    assert.equal(byName.get("app-KSTREAM-JOINTHIS-0000000004-store-changelog")?.["cleanup.policy"], "delete");
    assert.equal(
      byName.get("app-KSTREAM-JOINTHIS-0000000004-store-changelog")?.["retention.ms"],
      String(25 + 86_400_000),
    );
    assert.equal(byName.get("app-KSTREAM-OUTERSHARED-0000000004-store-changelog")?.["cleanup.policy"], "compact");
  });

  test("the two sides must be co-partitioned", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    streamJoin("join", JoinWindows.ofTimeDifferenceWithNoGrace(5))(builder).to("out", strings);
    assert.throws(
      () => new TopologyTestDriver(builder.build(), { partitions: { left: 2, right: 3 } }),
      (error: unknown) => error instanceof TopologyError && /co-partitioned/.test(error.message),
    );
  });
});

describe("stream–table joins", () => {
  const tableJoin =
    (type: "join" | "left") =>
    (b: StreamsBuilder): KStream<string | null, string> => {
      const table = b.table("right", strings);
      const stream = b.stream("left", strings);
      return type === "join" ? stream.join(table, show) : stream.leftJoin(table, show);
    };

  test("inner: each record joins the table's row at its arrival; later table updates emit nothing", () => {
    const h = harness(tableJoin("join"));
    h.l("a", "S1", 1); // no row yet: dropped
    h.r("a", "T1", 2);
    assert.deepEqual(h.read(), []);
    h.l("a", "S2", 0); // timestamps do not matter: the current row joins
    h.r("a", "T2", 3);
    h.l("a", "S3", 4);
    h.r("a", null, 5); // tombstone
    h.l("a", "S4", 6);
    assert.deepEqual(h.read(), [
      { key: "a", value: "S2+T1", ts: 0 },
      { key: "a", value: "S3+T2", ts: 4 },
    ]);
  });

  test("left: records without a row (or without a key) join null; null values are dropped", () => {
    const h = harness(tableJoin("left"));
    h.l("a", "S1", 1);
    h.r("a", "T1", 2);
    h.l("a", "S2", 3);
    h.r("a", null, 4);
    h.l("a", "S3", 5);
    h.l(null, "S4", 6);
    h.l("a", null, 7);
    assert.deepEqual(h.read(), [
      { key: "a", value: "S1+null", ts: 1 },
      { key: "a", value: "S2+T1", ts: 3 },
      { key: "a", value: "S3+null", ts: 5 },
      { key: null, value: "S4+null", ts: 6 },
    ]);
  });

  test("inner: records with a null key are dropped", () => {
    const h = harness(tableJoin("join"));
    h.r("a", "T", 1);
    h.l(null, "S", 2);
    assert.deepEqual(h.read(), []);
  });

  test("a re-keyed stream is repartitioned (named by Joined) and joins a materialized table", () => {
    const h = harness((b) => {
      const table = b.table("right", { ...strings, storeName: "customers" });
      return b
        .stream("left", strings)
        .map((orderId, customer) => ({ key: customer, value: orderId }))
        .join(table, (order, name, key) => `${order}:${key}=${name}`, { ...strings, name: "enrich" });
    });
    h.r("c1", "Ada", 1);
    h.l("o1", "c1", 2);
    h.l("o2", "c2", 3);
    assert.deepEqual(h.read(), [{ key: "c1", value: "o1:c1=Ada", ts: 2 }]);
    assert.ok(h.driver.producedTopicNames().has("topology-test-driver-enrich-repartition"));
    assert.equal(h.driver.getKeyValueStore<string, string>("customers").get("c1"), "Ada");
  });

  test("the stream and the table must be co-partitioned", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    tableJoin("join")(builder).to("out", strings);
    assert.throws(
      () => new TopologyTestDriver(builder.build(), { partitions: { left: 4, right: 2 } }),
      (error: unknown) => error instanceof TopologyError && /co-partitioned/.test(error.message),
    );
  });
});

describe("stream–global-table joins", () => {
  const globalJoin =
    (type: "join" | "left") =>
    (b: StreamsBuilder): KStream<string | null, string> => {
      const table = b.globalTable("right", strings);
      // The order's value names its customer: "<customer>/<item>".
      const customer = (_key: string | null, value: string | null): string | null =>
        value === null || !value.includes("/") ? null : (value.split("/")[0] as string);
      const stream = b.stream("left", strings).selectKey((k) => k); // a key change does not repartition a global-table join
      const joiner = (value: string, name: string | null, key: string | null, customerId: string | null): string =>
        `${key}:${value}:${customerId}=${name}`;
      return type === "join" ? stream.join(table, customer, joiner) : stream.leftJoin(table, customer, joiner);
    };

  test("inner: looks up the key the mapper picks; no row or no key: dropped", () => {
    const h = harness(globalJoin("join"));
    h.r("c1", "Ada", 0);
    h.l("o1", "c1/book", 1);
    h.l("o2", "c2/pen", 2);
    h.l("o3", "no-customer", 3);
    h.r("c1", "Grace", 4);
    h.l("o4", "c1/ink", 5);
    assert.deepEqual(h.read(), [
      { key: "o1", value: "o1:c1/book:c1=Ada", ts: 1 },
      { key: "o4", value: "o4:c1/ink:c1=Grace", ts: 5 },
    ]);
    assert.ok(![...h.driver.producedTopicNames()].some((topic) => topic.endsWith("-repartition")));
  });

  test("left: no row or no global key joins null; a null stream key is fine", () => {
    const h = harness(globalJoin("left"));
    h.r("c1", "Ada", 0);
    h.l("o1", "c2/pen", 1);
    h.l("o2", "no-customer", 2);
    h.l(null, "c1/ink", 3);
    h.l("o3", null, 4);
    assert.deepEqual(h.read(), [
      { key: "o1", value: "o1:c2/pen:c2=null", ts: 1 },
      { key: "o2", value: "o2:no-customer:null=null", ts: 2 },
      { key: null, value: "null:c1/ink:c1=Ada", ts: 3 },
    ]);
  });
});
