// KTable–KTable joins on the primary key through the TopologyTestDriver: inner, left and outer
// results for updates and deletes on each side, deletes when a joined key loses a side,
// timestamps (the larger of the two rows'), old values for a downstream aggregation's
// subtractor, a materialized (queryable) result, joins over unmaterialized filter / mapValues /
// join results (their rows computed through value getters), co-partitioning, and the names Kafka
// gives the nodes. table-join-golden.test.ts checks the same against Kafka Streams record by record.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Serdes, silentLogger, StreamsBuilder, TopologyTestDriver, type KTable } from "../src/index.ts";

const string = Serdes.string();

interface Fixture {
  readonly driver: TopologyTestDriver;
  left(key: string, value: string | null, timestampMs: number): void;
  right(key: string, value: string | null, timestampMs: number): void;
  /** Records of the result's stream since the last call: `key value@timestamp` (value "null": a delete). */
  output(): string[];
}

function fixture(
  join: (left: KTable<string, string>, right: KTable<string, string>) => KTable<string, string>,
  options: { readonly partitions?: number; readonly extra?: (result: KTable<string, string>) => void } = {},
): Fixture {
  const builder = new StreamsBuilder({ logger: silentLogger });
  const left = builder.table("left", { key: string, value: string });
  const right = builder.table("right", { key: string, value: string });
  const result = join(left, right);
  result.toStream().to("output", { key: string, value: string });
  options.extra?.(result);
  const driver = new TopologyTestDriver(builder.build(), { partitions: options.partitions ?? 1 });
  const leftIn = driver.createInputTopic("left", { key: string, value: string });
  const rightIn = driver.createInputTopic("right", { key: string, value: string });
  const out = driver.createOutputTopic("output", { key: string, value: string });
  return {
    driver,
    left: (key, value, timestampMs) => leftIn.pipeInput(key, value, timestampMs),
    right: (key, value, timestampMs) => rightIn.pipeInput(key, value, timestampMs),
    output: () => out.readRecordsToList().map((r) => `${r.key} ${r.value}@${r.timestampMs}`),
  };
}

const joiner = (a: string | null, b: string | null): string => `${a}+${b}`;

describe("KTable.join (inner)", () => {
  test("joins when both sides have the key, deletes when one side goes, with the larger timestamp", () => {
    const f = fixture((l, r) => l.join(r, joiner));
    f.left("a", "l1", 10);
    assert.deepEqual(f.output(), [], "no right row yet: nothing");
    f.right("a", "r1", 5);
    assert.deepEqual(f.output(), ["a l1+r1@10"], "timestamp: max(10, 5)");
    f.right("a", "r2", 20);
    assert.deepEqual(f.output(), ["a l1+r2@20"]);
    f.left("a", "l2", 15);
    assert.deepEqual(f.output(), ["a l2+r2@20"]);
    f.right("a", null, 30);
    assert.deepEqual(f.output(), ["a null@30"], "the key lost its right side: a delete");
    f.left("a", null, 40);
    assert.deepEqual(f.output(), [], "nothing joined any more: no second delete");
    f.right("b", "r3", 50);
    f.left("b", null, 55);
    assert.deepEqual(f.output(), ["b null@55"], "deleting a left row that did not join still sends a delete");
  });

  test("a joiner returning null deletes the row", () => {
    const f = fixture((l, r) => l.join(r, (a, b) => (b === "drop" ? null : `${a}+${b}`)));
    f.left("a", "l1", 1);
    f.right("a", "r1", 2);
    f.right("a", "drop", 3);
    assert.deepEqual(f.output(), ["a l1+r1@2", "a null@3"]);
  });
});

describe("KTable.leftJoin", () => {
  test("keeps every left row, joined with null without a right row; deletes only when the left row goes", () => {
    const f = fixture((l, r) => l.leftJoin(r, joiner));
    f.right("a", "r1", 5);
    assert.deepEqual(f.output(), [], "no left row: nothing");
    f.left("a", "l1", 3);
    assert.deepEqual(f.output(), ["a l1+r1@5"]);
    f.right("a", null, 7);
    assert.deepEqual(f.output(), ["a l1+null@7"]);
    f.left("b", "l2", 8);
    assert.deepEqual(f.output(), ["b l2+null@8"]);
    f.left("a", null, 9);
    assert.deepEqual(f.output(), ["a null@9"]);
    f.left("zz", null, 10);
    assert.deepEqual(f.output(), [], "deleting a row that never existed: nothing");
  });
});

describe("KTable.outerJoin", () => {
  test("keeps rows of either side; deletes when both are gone", () => {
    const f = fixture((l, r) => l.outerJoin(r, joiner));
    f.right("a", "r1", 5);
    assert.deepEqual(f.output(), ["a null+r1@5"]);
    f.left("a", "l1", 3);
    assert.deepEqual(f.output(), ["a l1+r1@5"]);
    f.right("a", null, 6);
    assert.deepEqual(f.output(), ["a l1+null@6"]);
    f.left("a", null, 7);
    assert.deepEqual(f.output(), ["a null@7"]);
    f.left("x", null, 8);
    f.right("x", null, 9);
    assert.deepEqual(f.output(), [], "deletes of absent rows on both sides: nothing");
  });
});

describe("old values for downstream aggregations", () => {
  for (const kind of ["join", "leftJoin", "outerJoin"] as const) {
    test(`${kind}: a groupBy().reduce() subtracts what a row contributed before`, () => {
      const f = fixture(
        (l, r) =>
          kind === "join" ? l.join(r, joiner) : kind === "leftJoin" ? l.leftJoin(r, joiner) : l.outerJoin(r, joiner),
        {
          extra: (result) =>
            result
              .groupBy((_key, value) => ({ key: "all", value: value.length }), { key: string, value: Serdes.long() })
              .reduce(
                (sum, value) => sum + value,
                (sum, value) => sum - value,
                { storeName: "total", key: string, value: Serdes.long() },
              ),
        },
      );
      const total = (): number | undefined => f.driver.getKeyValueStore<string, number>("total").get("all");
      f.left("a", "l1", 1);
      f.right("a", "r1", 2);
      f.left("b", "long-left", 3);
      f.right("b", "r2", 4);
      f.right("a", "rr1", 5);
      f.left("a", null, 6);
      f.right("b", null, 7);
      // The total must always be the sum of the lengths of the rows the join currently has.
      const expected: Record<typeof kind, number> = {
        join: 0, // a: left gone; b: right gone
        leftJoin: "long-left+null".length,
        outerJoin: "null+rr1".length + "long-left+null".length,
      };
      assert.equal(total(), expected[kind]);
    });
  }
});

describe("materialized results and value getters", () => {
  test("a materialized join is queryable under its store name, with the rows' timestamps", () => {
    const f = fixture((l, r) => l.leftJoin(r, joiner, { storeName: "joined", value: string }));
    f.left("a", "l1", 10);
    f.right("a", "r1", 12);
    f.left("b", "l2", 11);
    const store = f.driver.getTimestampedKeyValueStore<string, string>("joined");
    assert.deepEqual(store.get("a"), { value: "l1+r1", timestampMs: 12 });
    assert.deepEqual(store.get("b"), { value: "l2+null", timestampMs: 11 });
    f.left("a", null, 13);
    assert.equal(store.get("a"), undefined);
  });

  test("joining an unmaterialized filter, mapValues and join result reads their rows through getters", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    const a = builder.table("a", { key: string, value: string });
    const b = builder.table("b", { key: string, value: string });
    const c = builder.table("c", { key: string, value: string });
    const filtered = b.filter((_key, value) => !value.startsWith("x"));
    const mapped = c.mapValues((value) => value.toUpperCase());
    const ab = a.join(filtered, joiner);
    ab.join(mapped, joiner).toStream().to("out", { key: string, value: string });
    const driver = new TopologyTestDriver(builder.build());
    const pipe = (topic: string, key: string, value: string | null, ts: number): void =>
      driver.createInputTopic(topic, { key: string, value: string }).pipeInput(key, value, ts);
    const out = driver.createOutputTopic("out", { key: string, value: string });
    pipe("c", "k", "c1", 1);
    pipe("a", "k", "a1", 2);
    pipe("b", "k", "xb", 3);
    // As Kafka: a filtered-out row is a delete downstream, even of a row that never joined.
    assert.deepEqual(out.readValuesToList(), [null], "b's row is filtered out: no join");
    pipe("b", "k", "b1", 4);
    assert.deepEqual(out.readValuesToList(), ["a1+b1+C1"], "c's row read through mapValues' getter");
    pipe("c", "k", "c2", 5);
    assert.deepEqual(out.readValuesToList(), ["a1+b1+C2"], "ab's row computed by the join's getter");
    pipe("b", "k", "xb2", 6);
    assert.deepEqual(out.readValuesToList(), [null], "filtered out again: the chain deletes the row");
  });

  test("results are the same on several partitions", () => {
    const run = (partitions: number): Map<string, string | null> => {
      const f = fixture((l, r) => l.outerJoin(r, joiner), { partitions });
      for (let i = 0; i < 60; i++) {
        const key = `k${i % 7}`;
        if (i % 3 === 0) f.right(key, i % 5 === 0 ? null : `r${i}`, i);
        else f.left(key, i % 4 === 0 ? null : `l${i}`, i);
      }
      const latest = new Map<string, string | null>();
      for (const line of f.output()) {
        const [key, rest] = line.split(" ") as [string, string];
        latest.set(key, rest.split("@")[0] ?? null);
      }
      return latest;
    };
    assert.deepEqual(run(3), run(1));
  });
});

describe("topology", () => {
  test("Kafka's node names; both inputs' topics are co-partitioned", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    const left = builder.table("left", { key: string, value: string });
    const right = builder.table("right", { key: string, value: string });
    left.join(right, joiner).toStream().to("out", { key: string, value: string });
    const topology = builder.build();
    const text = topology.describe().toString();
    for (const name of ["KTABLE-MERGE-0000000006", "KTABLE-JOINTHIS-0000000007", "KTABLE-JOINOTHER-0000000008"])
      assert.ok(text.includes(name), `${name} in\n${text}`);
    const plan = topology.plan("app");
    assert.deepEqual(plan.subtopologies[0]?.copartitionGroups, [["left", "right"]]);
    assert.throws(() => new TopologyTestDriver(topology, { partitions: { left: 2, right: 3 } }), /not co-partitioned/);
  });
});
