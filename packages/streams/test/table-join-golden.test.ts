// Differential tests against Apache Kafka Streams: every case of table-join-golden/cases.txt was
// run through Kafka Streams 4.4.0's TopologyTestDriver (table-join-golden/TableJoinGolden.java,
// in-memory stores, caching off); here the same topology is built with Samsa's DSL and the same
// records go through Samsa's TopologyTestDriver. Every record produced — the join's results, the
// downstream aggregation (old values through its subtractor), the foreign-key join's registration
// and response topics, every store's changelog — must be the same, byte for byte and in order, and
// the topology's description must be Kafka's text.
import { join } from "node:path";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Serdes, StreamsBuilder, TopologyTestDriver, type KTable, type Topology } from "../src/index.ts";
import { readGoldenCases, readGoldenTopologies } from "./golden-support.ts";
import type { CaseBlock } from "./golden-support.ts";

const dir = join(import.meta.dirname, "table-join-golden");

interface GoldenCase {
  readonly id: string;
  readonly kind: "tt" | "fk";
  readonly join: "inner" | "left" | "outer";
  readonly materialized: boolean;
  readonly aggregate: boolean;
  readonly named: boolean;
  readonly steps: readonly {
    readonly side: "L" | "R";
    readonly key: string;
    readonly value: string | null;
    readonly ts: number;
  }[];
}

function toCase({ head, body }: CaseBlock): GoldenCase {
  return {
    id: head[1] as string,
    kind: head[2] as GoldenCase["kind"],
    join: head[3] as GoldenCase["join"],
    materialized: head[4] === "mat",
    aggregate: head[5] === "agg",
    named: head[6] === "named",
    steps: body.map((parts) => ({
      side: parts[0] as "L" | "R",
      key: parts[1] as string,
      value: parts[2] === "-" ? null : (parts[2] as string),
      ts: Number(parts[3]),
    })),
  };
}

const string = Serdes.string();

function buildTopology(c: GoldenCase): Topology {
  const builder = new StreamsBuilder();
  const left = builder.table("left", { key: string, value: string });
  const right = builder.table("right", { key: string, value: string });
  const joiner = (a: string | null, b: string | null): string => `${a}+${b}`;
  const name = c.named ? { name: "j" } : {};
  let result: KTable<string, string>;
  if (c.kind === "tt") {
    const options = { ...name, ...(c.materialized ? { storeName: "joined", key: string, value: string } : {}) };
    result =
      c.join === "inner"
        ? left.join(right, joiner, options)
        : c.join === "left"
          ? left.leftJoin(right, joiner, options)
          : left.outerJoin(right, joiner, options);
  } else {
    const foreignKey = (value: string): string | null => value.slice(0, value.indexOf("|")) || null;
    // Kafka's run has String default serdes: the result's values are strings when it materializes.
    const options = { ...name, value: string, ...(c.materialized ? { storeName: "joined", key: string } : {}) };
    result =
      c.join === "inner"
        ? left.join(right, foreignKey, joiner, options)
        : left.leftJoin(right, foreignKey, joiner, options);
  }
  result.toStream().to("output", { key: string, value: string });
  if (c.aggregate) {
    result
      .groupBy((key, value) => ({ key: "g", value: `${key}=${value}` }), { key: string, value: string })
      .reduce(
        (agg, value) => `${agg}+${value}`,
        (agg, value) => `${agg}-${value}`,
        { key: string, value: string },
      )
      .toStream()
      .to("agg", { key: string, value: string });
  }
  return builder.build();
}

function hex(bytes: Uint8Array | null): string {
  if (bytes === null) return "-";
  return bytes.length === 0 ? "=" : Buffer.from(bytes).toString("hex");
}

/** Runs a case through Samsa's driver; the lines of Kafka's format, one array per input record. */
function runCase(c: GoldenCase): string[][] {
  const driver = new TopologyTestDriver(buildTopology(c), { applicationId: "app" });
  try {
    const leftIn = driver.createInputTopic("left", { key: string, value: string });
    const rightIn = driver.createInputTopic("right", { key: string, value: string });
    const records: string[][] = [];
    for (const step of c.steps) {
      (step.side === "L" ? leftIn : rightIn).pipeInput(step.key, step.value, step.ts);
      const lines: string[] = [];
      for (const topic of [...driver.producedTopicNames()].sort()) {
        for (const record of driver.createOutputTopic(topic).readRecordsToList()) {
          lines.push(
            `t ${topic} ${hex(record.key)} ${hex(record.value)} ${record.timestampMs} ${record.headers.length}`,
          );
        }
      }
      records.push(lines);
    }
    return records;
  } finally {
    driver.close();
  }
}

const golden = readGoldenCases(dir);
const cases = golden.blocks.map(toCase);
const expected = golden.expected;
const topologies = readGoldenTopologies(dir);

describe("table joins: golden cases from Kafka Streams 4.4.0", () => {
  test("every case has Kafka's output", () => {
    assert.equal(cases.length, expected.size);
    assert.ok(cases.length >= 40);
  });
  for (const c of cases) {
    const title = `${c.id}: ${c.kind} ${c.join} ${c.materialized ? "materialized" : "plain"}${c.aggregate ? " + aggregation" : ""}${c.named ? " named" : ""}`;
    test(`${title}: records`, () => {
      const want = expected.get(c.id);
      assert.ok(want !== undefined, `no expected output for ${c.id}`);
      const got = runCase(c);
      for (let i = 0; i < c.steps.length; i++) {
        const step = c.steps[i];
        assert.deepEqual(
          got[i],
          want[i],
          `${c.id} record ${i} (${step?.side} ${step?.key} ${step?.value} @${step?.ts})`,
        );
      }
    });
    test(`${title}: description`, () => {
      assert.equal(buildTopology(c).describe().toString(), topologies.get(c.id));
    });
  }
});
