// Every stateless KStream operation, run through the TopologyTestDriver.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import type { KStream } from "../src/dsl/kstream.ts";
import { silentLogger } from "../src/logger.ts";
import type { ProcessorContext } from "../src/processor.ts";
import { Serdes } from "../src/serdes.ts";
import type { KeyValueStore } from "../src/state/store.ts";
import { Stores } from "../src/state/stores.ts";
import { TopologyTestDriver } from "../src/test-driver.ts";

const strings = { key: Serdes.string(), value: Serdes.string() };

/** Builds `input → body → output` (strings), pipes the records, returns what came out. */
function run(
  body: (input: KStream<string | null, string | null>, builder: StreamsBuilder) => void,
  records: [string | null, string | null, number?][],
  outputs: string[] = ["output"],
): Map<string, { key: string | null; value: string | null; timestampMs: number }[]> {
  const builder = new StreamsBuilder({ logger: silentLogger });
  body(builder.stream("input", strings), builder);
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic("input", strings);
  for (const [key, value, timestampMs] of records) input.pipeInput(key, value, timestampMs ?? 0);
  const result = new Map(
    outputs.map((name) => [
      name,
      driver
        .createOutputTopic(name, strings)
        .readRecordsToList()
        .map(({ key, value, timestampMs }) => ({ key, value, timestampMs })),
    ]),
  );
  driver.close();
  return result;
}

const pairs = (records: { key: string | null; value: string | null }[] | undefined): [string | null, string | null][] =>
  (records ?? []).map((r) => [r.key, r.value]);

describe("KStream", () => {
  test("filter and filterNot (with a type guard narrowing the value)", () => {
    const out = run(
      (s) => {
        s.filter((_k, v): v is string => v !== null)
          .filter((_k, v) => v.startsWith("a"))
          .to("output");
        s.filterNot((_k, v) => v === null).to("output2");
      },
      [
        ["1", "apple"],
        ["2", null],
        ["3", "banana"],
        ["4", "avocado"],
      ],
      ["output", "output2"],
    );
    assert.deepEqual(pairs(out.get("output")), [
      ["1", "apple"],
      ["4", "avocado"],
    ]);
    assert.deepEqual(pairs(out.get("output2")), [
      ["1", "apple"],
      ["3", "banana"],
      ["4", "avocado"],
    ]);
  });

  test("map, mapValues, selectKey keep each record's timestamp", () => {
    const out = run(
      (s) => {
        s.map((k, v) => ({ key: v, value: k })).to("output", strings);
        s.mapValues((v, k) => `${k}:${v}`).to("output2", { value: Serdes.string() });
        s.selectKey((_k, v) => (v ?? "").toUpperCase()).to("output3", { key: Serdes.string() });
      },
      [
        ["a", "x", 5],
        ["b", "y", 3],
      ],
      ["output", "output2", "output3"],
    );
    assert.deepEqual(out.get("output"), [
      { key: "x", value: "a", timestampMs: 5 },
      { key: "y", value: "b", timestampMs: 3 },
    ]);
    assert.deepEqual(pairs(out.get("output2")), [
      ["a", "a:x"],
      ["b", "b:y"],
    ]);
    assert.deepEqual(pairs(out.get("output3")), [
      ["X", "x"],
      ["Y", "y"],
    ]);
  });

  test("flatMap and flatMapValues: zero or more records per record", () => {
    const out = run(
      (s) => {
        s.flatMap((k, v) =>
          (v ?? "")
            .split(",")
            .filter(Boolean)
            .map((part) => ({ key: `${k}-${part}`, value: part })),
        ).to("output", strings);
        s.flatMapValues((v) => (v ?? "").split(",").filter(Boolean)).to("output2", { value: Serdes.string() });
      },
      [
        ["a", "1,2"],
        ["b", ""],
        ["c", "3"],
      ],
      ["output", "output2"],
    );
    assert.deepEqual(pairs(out.get("output")), [
      ["a-1", "1"],
      ["a-2", "2"],
      ["c-3", "3"],
    ]);
    assert.deepEqual(pairs(out.get("output2")), [
      ["a", "1"],
      ["a", "2"],
      ["c", "3"],
    ]);
  });

  test("split: first matching branch wins, named and numbered branches, default branch, chained branches", () => {
    let branches = new Map<string, KStream<string | null, string | null>>();
    const out = run(
      (s) => {
        branches = s
          .split({ name: "split-" })
          .branch((_k, v) => (v ?? "").startsWith("a"), { name: "a" })
          .branch((_k, v) => (v ?? "").length > 3)
          .branch((_k, v) => v === "b", {
            chain: (b) => void b.mapValues((v) => `chained ${v}`).to("chained", { value: Serdes.string() }),
          })
          .defaultBranch();
        branches.get("split-a")?.to("output");
        branches.get("split-2")?.to("long");
        branches.get("split-0")?.to("rest");
      },
      [
        ["1", "apple"],
        ["2", "banana"],
        ["3", "b"],
        ["4", "c"],
        ["5", "avocado"],
      ],
      ["output", "long", "chained", "rest"],
    );
    assert.deepEqual([...branches.keys()], ["split-a", "split-2", "split-0"]);
    assert.deepEqual(pairs(out.get("output")), [
      ["1", "apple"],
      ["5", "avocado"],
    ]);
    assert.deepEqual(pairs(out.get("long")), [["2", "banana"]]);
    assert.deepEqual(pairs(out.get("chained")), [["3", "chained b"]]);
    assert.deepEqual(pairs(out.get("rest")), [["4", "c"]]);
  });

  test("split without a default branch drops unmatched records", () => {
    const out = run(
      (s) => {
        s.split()
          .branch((_k, v) => v === "x")
          .noDefaultBranch()
          .forEach((branch) => branch.to("output"));
      },
      [
        ["1", "x"],
        ["2", "y"],
      ],
    );
    assert.deepEqual(pairs(out.get("output")), [["1", "x"]]);
  });

  test("merge, peek and foreach", () => {
    const peeked: string[] = [];
    const seen: string[] = [];
    const builder = new StreamsBuilder({ logger: silentLogger });
    const a = builder.stream("a", strings);
    const b = builder.stream("b", strings);
    const merged = a.merge(b).peek((k) => peeked.push(k ?? ""));
    merged.to("output");
    merged.foreach((k, v) => seen.push(`${k}=${v}`));
    const driver = new TopologyTestDriver(builder.build());
    driver.createInputTopic("a", strings).pipeInput("1", "x", 1);
    driver.createInputTopic("b", strings).pipeInput("2", "y", 2);
    driver.createInputTopic("a", strings).pipeInput("3", "z", 0);
    assert.deepEqual(pairs(driver.createOutputTopic("output", strings).readRecordsToList()), [
      ["1", "x"],
      ["2", "y"],
      ["3", "z"],
    ]);
    assert.deepEqual(peeked, ["1", "2", "3"]);
    assert.deepEqual(seen, ["1=x", "2=y", "3=z"]);
  });

  test("to a topic chosen per record, and a sink without a serde fails only for non-null data", () => {
    const out = run(
      (s) => s.to((key, _value, context) => `topic-${key}-${context.recordMetadata?.topic}`),
      [
        ["a", "1"],
        ["b", "2"],
      ],
      ["topic-a-input", "topic-b-input"],
    );
    assert.deepEqual(pairs(out.get("topic-a-input")), [["a", "1"]]);
    assert.deepEqual(pairs(out.get("topic-b-input")), [["b", "2"]]);

    const builder = new StreamsBuilder({ logger: silentLogger });
    builder
      .stream("input", strings)
      .map((k, v) => ({ key: k, value: v }))
      .to("output");
    const driver = new TopologyTestDriver(builder.build());
    assert.throws(
      () => driver.createInputTopic("input", strings).pipeInput("k", "v"),
      /no key serde: pass \{ key: \.\.\. \} to to\(\)/,
    );
    const ok = new StreamsBuilder({ logger: silentLogger });
    ok.stream("input", strings)
      .map((_k, v) => ({ key: null, value: v }))
      .to("output", { value: Serdes.string() });
    const okDriver = new TopologyTestDriver(ok.build());
    okDriver.createInputTopic("input", strings).pipeInput("k", "v");
    assert.deepEqual(okDriver.createOutputTopic("output", strings).readKeyValue(), { key: null, value: "v" });
  });

  test("through and repartition route records through a topic and back", () => {
    const out = run(
      (s) => {
        s.through("user-topic")
          .mapValues((v) => `1:${v}`)
          .to("output", { value: Serdes.string() });
        s.selectKey((_k, v) => v)
          .repartition({ key: Serdes.string(), name: "by-value" })
          .to("output2");
      },
      [
        ["a", "x"],
        ["b", "y"],
      ],
      ["output", "output2", "user-topic", "topology-test-driver-by-value-repartition"],
    );
    assert.deepEqual(pairs(out.get("user-topic")), [
      ["a", "x"],
      ["b", "y"],
    ]);
    assert.deepEqual(pairs(out.get("output")), [
      ["a", "1:x"],
      ["b", "1:y"],
    ]);
    assert.deepEqual(pairs(out.get("topology-test-driver-by-value-repartition")), [
      ["x", "x"],
      ["y", "y"],
    ]);
    assert.deepEqual(pairs(out.get("output2")), [
      ["x", "x"],
      ["y", "y"],
    ]);
  });

  test("process: a processor-API processor with a store, forwarding new keys and timestamps", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    builder.addStateStore(Stores.inMemoryKeyValueStore({ name: "last", key: Serdes.string(), value: Serdes.string() }));
    builder
      .stream("input", strings)
      .process<string, string>(
        () => {
          let context: ProcessorContext<string, string>;
          let store: KeyValueStore<string, string>;
          return {
            init(c) {
              context = c;
              store = c.getStateStore("last");
            },
            process(record) {
              const key = record.key ?? "";
              const previous = store.get(key) ?? "-";
              store.put(key, record.value ?? "");
              context.forward({
                key: `${key}!`,
                value: `${previous}->${record.value}`,
                timestampMs: record.timestampMs * 2,
                headers: record.headers,
              });
            },
          };
        },
        { stores: ["last"] },
      )
      .to("output", strings);
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic("input", strings);
    input.pipeInput("a", "1", 1);
    input.pipeInput("a", "2", 2);
    assert.deepEqual(
      driver
        .createOutputTopic("output", strings)
        .readRecordsToList()
        .map((r) => [r.key, r.value, r.timestampMs]),
      [
        ["a!", "-->1", 2],
        ["a!", "1->2", 4],
      ],
    );
    assert.equal(driver.getKeyValueStore<string, string>("last").get("a"), "2");
  });

  test("processValues keeps keys (a processor changing the key fails)", () => {
    let changeKey = false;
    const builder = new StreamsBuilder({ logger: silentLogger });
    builder
      .stream("input", strings)
      .processValues<string>(() => {
        let context: ProcessorContext<string | null, string>;
        return {
          init: (c) => (context = c),
          process(record) {
            context.forward({ ...record, key: changeKey ? "other" : record.key, value: `<${record.value}>` });
          },
        };
      })
      .to("output", strings);
    const driver = new TopologyTestDriver(builder.build());
    const input = driver.createInputTopic("input", strings);
    input.pipeInput("a", "1");
    assert.deepEqual(driver.createOutputTopic("output", strings).readKeyValue(), { key: "a", value: "<1>" });
    changeKey = true;
    assert.throws(() => input.pipeInput("a", "2"), /changed the key/);
  });

  test("key-changing operations mark the stream for repartitioning; key-keeping ones do not", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    const s = builder.stream("input", strings);
    assert.equal(s.internals.repartitionRequired, false);
    assert.equal(
      s
        .mapValues((v) => v)
        .filter(() => true)
        .peek(() => undefined).internals.repartitionRequired,
      false,
    );
    assert.equal(s.map((k, v) => ({ key: k, value: v })).internals.repartitionRequired, true);
    assert.equal(s.selectKey((k) => k).mapValues((v) => v).internals.repartitionRequired, true);
    assert.equal(s.flatMap(() => []).internals.repartitionRequired, true);
    assert.equal(s.process(() => ({ process: () => undefined })).internals.repartitionRequired, true);
    assert.equal(s.selectKey((k) => k).repartition({ key: Serdes.string() }).internals.repartitionRequired, false);
    assert.equal(s.merge(s.selectKey((k) => k)).internals.repartitionRequired, true);
  });
});
