// The hook windowed aggregations build on: KGroupedStream.windowedBy hands GroupedStreamInternals
// to a window definition, which adds its processor and store and returns its own builder. A
// fixture definition stands in for the window module here.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addProcessor,
  addTimestampedStore,
  tableFromNode,
  timestampedStoreBuilder,
  type GroupedStreamInternals,
} from "../src/dsl/internal.ts";
import type { KTable } from "../src/dsl/ktable.ts";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { silentLogger } from "../src/logger.ts";
import { streamAggregateProcessor } from "../src/processors/aggregate-processors.ts";
import type { Change } from "../src/processors/change.ts";
import { TableNodeState } from "../src/processors/table-processors.ts";
import { Serdes } from "../src/serdes.ts";
import { TopologyTestDriver } from "../src/test-driver.ts";

/** A stand-in for a windowed stream: counts into buckets of `sizeMs` keyed "<key>@<bucket>". */
class FixtureWindowedStream<K, V> {
  readonly #grouped: GroupedStreamInternals<K, V>;
  readonly #sizeMs: number;

  constructor(grouped: GroupedStreamInternals<K, V>, sizeMs: number) {
    this.#grouped = grouped;
    this.#sizeMs = sizeMs;
  }

  count(): KTable<string, number> {
    const { dsl } = this.#grouped;
    const storeName = dsl.newStoreName("FIXTURE-");
    const name = dsl.newProcessorName("FIXTURE-");
    const parent = this.#grouped.aggregationParent(storeName);
    const state = new TableNodeState({ storeName });
    const sizeMs = this.#sizeMs;
    const counter = streamAggregateProcessor<string, V, number>(
      state,
      (_key, _value, count) => (count ?? 0) + 1,
      dsl.logger,
    );
    addProcessor<K | null, V | null, string, Change<number>>(
      dsl,
      name,
      () => {
        const inner = counter();
        return {
          init: (context) => inner.init?.(context),
          process: (record) =>
            inner.process({
              ...record,
              key: record.key === null ? null : `${String(record.key)}@${Math.floor(record.timestampMs / sizeMs)}`,
            }),
        };
      },
      [parent],
    );
    addTimestampedStore(
      dsl,
      timestampedStoreBuilder(dsl, {
        storeName,
        materialized: undefined,
        keySerde: Serdes.string(),
        valueSerde: Serdes.long(),
        operation: "fixture",
      }),
      name,
    );
    return tableFromNode({
      dsl,
      name,
      keySerde: Serdes.string(),
      valueSerde: Serdes.long(),
      changes: state,
      queryableStoreName: storeName,
    });
  }
}

declare module "../src/dsl/internal.ts" {
  interface WindowedStreamTypes<K, V> {
    fixture: FixtureWindowedStream<K, V>;
  }
}

class FixtureWindows {
  readonly windowKind = "fixture" as const;
  readonly sizeMs: number;
  constructor(sizeMs: number) {
    this.sizeMs = sizeMs;
  }
  windowedStream<K, V>(grouped: GroupedStreamInternals<K, V>): FixtureWindowedStream<K, V> {
    return new FixtureWindowedStream(grouped, this.sizeMs);
  }
}

test("windowedBy: a window definition builds on the grouped stream's internals (repartitioned when needed)", () => {
  const b = new StreamsBuilder({ logger: silentLogger });
  const windowed = b
    .stream("in", { key: Serdes.string(), value: Serdes.string() })
    .selectKey((_k, v) => v)
    .groupByKey({ key: Serdes.string(), value: Serdes.string() })
    .windowedBy(new FixtureWindows(10));
  const table: KTable<string, number> = windowed.count();
  table.toStream().to("out", { key: Serdes.string(), value: Serdes.long() });
  const topology = b.build();
  assert.match(
    topology.describe().toString(),
    /Sink: FIXTURE-STATE-STORE-0000000002-repartition-sink \(topic: FIXTURE-STATE-STORE-0000000002-repartition\)/,
  );
  const driver = new TopologyTestDriver(topology);
  const input = driver.createInputTopic("in", { key: Serdes.string(), value: Serdes.string() });
  input.pipeInput("1", "a", 1);
  input.pipeInput("2", "a", 5);
  input.pipeInput("3", "a", 12);
  assert.deepEqual(
    driver.createOutputTopic("out", { key: Serdes.string(), value: Serdes.long() }).readKeyValuesToList(),
    [
      { key: "a@0", value: 1 },
      { key: "a@0", value: 2 },
      { key: "a@1", value: 1 },
    ],
  );
  assert.equal(driver.getKeyValueStore<string, number>(table.queryableStoreName ?? "").get("a@0"), 2);
});
