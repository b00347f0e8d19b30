// Differential tests against Apache Kafka Streams: every case of join-golden/cases.txt was run
// through Kafka Streams 4.4.0's TopologyTestDriver (join-golden/JoinGolden.java, in-memory stores,
// caching off); here the same records go through the same DSL topology in Samsa's
// TopologyTestDriver, and what the join forwards (key, value, timestamp) and what its stores log
// (store, key bytes, value bytes, timestamp) must be the same, record by record. The topologies
// of JoinTopologies.java, built again here, must describe() as Kafka's do (join-golden/topologies.txt).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../src/logger.ts";
import { Serdes } from "../src/serdes.ts";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { JoinWindows } from "../src/dsl/join-windows.ts";
import type { KStream } from "../src/dsl/kstream.ts";
import type { Joined, StreamJoined } from "../src/dsl/join-options.ts";
import { TopologyTestDriver, type TestOutputTopic } from "../src/test-driver.ts";
import type { Topology } from "../src/topology/topology.ts";
import type { StoreType } from "../src/state/stores.ts";
import { readGoldenCases, readGoldenTopologies } from "./golden-support.ts";
import type { CaseBlock } from "./golden-support.ts";

type Step = readonly [side: "l" | "r", key: string | null, timestampMs: number, value: string | null];

interface GoldenCase {
  readonly id: string;
  readonly kind: "ss" | "st" | "sg";
  readonly type: "join" | "left" | "outer";
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly graceMs: number;
  readonly steps: readonly Step[];
}

const dir = join(import.meta.dirname, "join-golden");
const strings = { key: Serdes.string(), value: Serdes.string() };

function toCase({ head, body }: CaseBlock): GoldenCase {
  const [, id, kind, type, before, after, grace] = head;
  const nullable = (text: string | undefined): string | null => (text === "-" || text === undefined ? null : text);
  const steps: Step[] = [];
  for (const parts of body)
    if (parts[0] === "l" || parts[0] === "r")
      steps.push([parts[0], nullable(parts[1]), Number(parts[2]), nullable(parts[3])]);
  return {
    id: id as string,
    kind: kind as GoldenCase["kind"],
    type: type as GoldenCase["type"],
    beforeMs: Number(before),
    afterMs: Number(after),
    graceMs: Number(grace),
    steps,
  };
}

/** The global table's key: the stream value's part before its first '.', none when empty or absent. */
function globalKey(value: string | null): string | null {
  if (value === null) return null;
  const dot = value.indexOf(".");
  return dot <= 0 ? null : value.slice(0, dot);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** The case's topology, as JoinGolden.java builds it; `out` collects the joined records' lines. */
function caseTopology(c: GoldenCase, out: string[], storeType: StoreType): Topology {
  const builder = new StreamsBuilder({ logger: silentLogger, defaultStoreType: storeType });
  const left = builder.stream("left", strings);
  const joiner = (value: string | null, other: string | null, key: string | null): string => `${key}|${value}|${other}`;
  let joined: KStream<string | null, string>;
  switch (c.kind) {
    case "ss": {
      const right = builder.stream("right", strings);
      const windows = JoinWindows.ofTimeDifferenceAndGrace(c.afterMs, c.graceMs).before(c.beforeMs);
      const serdes: StreamJoined<string, string, string> = { key: Serdes.string(), value: Serdes.string() };
      joined =
        c.type === "join"
          ? left.join(right, joiner, windows, serdes)
          : c.type === "left"
            ? left.leftJoin(right, joiner, windows, serdes)
            : left.outerJoin(right, joiner, windows, serdes);
      break;
    }
    case "st": {
      const table = builder.table("right", strings);
      joined = c.type === "join" ? left.join(table, joiner, strings) : left.leftJoin(table, joiner, strings);
      break;
    }
    case "sg": {
      const table = builder.globalTable("right", strings);
      joined =
        c.type === "join"
          ? left.join(table, (_key, value) => globalKey(value), joiner)
          : left.leftJoin(table, (_key, value) => globalKey(value), joiner);
      break;
    }
  }
  joined.process(() => ({
    process(record) {
      out.push(`out ${record.key ?? "-"} ${record.value} ${record.timestampMs}`);
    },
  }));
  return builder.build();
}

/** Runs a case through Samsa; returns the lines Kafka's format gives, one array per input record. */
function runCase(c: GoldenCase, storeType: StoreType = "in-memory"): string[][] {
  const out: string[] = [];
  const stateDir = storeType === "persistent" ? mkdtempSync(join(tmpdir(), "samsa-join-golden-")) : undefined;
  const driver = new TopologyTestDriver(caseTopology(c, out, storeType), {
    applicationId: "app",
    ...(stateDir === undefined ? {} : { stateDir }),
  });
  try {
    const inputs = {
      l: driver.createInputTopic("left", strings),
      r: driver.createInputTopic("right", strings),
    };
    const changelogs = new Map<string, TestOutputTopic<Uint8Array, Uint8Array>>();
    const records: string[][] = [];
    for (const [side, key, timestampMs, value] of c.steps) {
      out.length = 0;
      inputs[side].pipeInput(key, value, timestampMs);
      const lines = [...out];
      for (const topic of [...driver.producedTopicNames()].sort()) {
        if (topic.endsWith("-changelog") && !changelogs.has(topic)) {
          changelogs.set(topic, driver.createOutputTopic(topic));
        }
      }
      for (const [topic, changelog] of [...changelogs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const store = topic.slice("app-".length, -"-changelog".length);
        for (const log of changelog.readRecordsToList()) {
          lines.push(
            `log ${store} ${log.key === null ? "-" : hex(log.key)} ${log.value === null ? "-" : hex(log.value)} ${log.timestampMs}`,
          );
        }
      }
      records.push(lines);
    }
    return records;
  } finally {
    driver.close();
    if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  }
}

const golden = readGoldenCases(dir);
const cases = golden.blocks.map(toCase);
const expected = golden.expected;

describe("KStream joins match Kafka Streams 4.4.0 (TopologyTestDriver)", () => {
  test("every case has Kafka's answer", () => {
    assert.ok(cases.length > 200);
    for (const c of cases) assert.ok(expected.has(c.id), c.id);
  });

  for (const c of cases) {
    const window = c.kind === "ss" ? ` before ${c.beforeMs} after ${c.afterMs} grace ${c.graceMs}` : "";
    test(`${c.id} (${c.kind} ${c.type}${window})`, () => {
      assert.deepEqual(runCase(c), expected.get(c.id));
    });
  }

  // The hand-written cases again with persistent (node:sqlite) stores: the same records, the same changelogs.
  for (const c of cases.filter((x) => !x.id.startsWith("random-"))) {
    test(`${c.id} with persistent stores`, () => {
      assert.deepEqual(runCase(c, "persistent"), expected.get(c.id));
    });
  }
});

const stringJoined: StreamJoined<string, string, string> = {
  key: Serdes.string(),
  value: Serdes.string(),
  otherValue: Serdes.string(),
};
const tableJoined: Joined<string, string, string> = { key: Serdes.string(), value: Serdes.string() };
const concat = (a: string, b: string | null): string => a + String(b);
const windows = JoinWindows.ofTimeDifferenceWithNoGrace(10);

function streamJoin(
  type: "join" | "left" | "outer",
  left: KStream<string, string>,
  right: KStream<string, string>,
  options: StreamJoined<string, string, string>,
): KStream<string, string> {
  return type === "join"
    ? left.join(right, concat, windows, options)
    : type === "left"
      ? left.leftJoin(right, concat, windows, options)
      : left.outerJoin(right, (a, b) => String(a) + String(b), windows, options);
}

/** The topologies of JoinTopologies.java, built with Samsa's DSL. */
const topologyBuilders = new Map<string, (builder: StreamsBuilder) => void>();
for (const type of ["join", "left", "outer"] as const) {
  topologyBuilders.set(`ss-${type}`, (b) => {
    const l = b.stream("left", strings) as KStream<string, string>;
    const r = b.stream("right", strings) as KStream<string, string>;
    streamJoin(type, l, r, stringJoined).to("out");
  });
  topologyBuilders.set(`ss-${type}-named`, (b) => {
    const l = b.stream("left", strings).selectKey((_k, v) => v) as KStream<string, string>;
    const r = b.stream("right", strings).map((k, v) => ({ key: v, value: k })) as KStream<string, string>;
    streamJoin(type, l, r, { ...stringJoined, name: "jn", storeName: "js" }).to("out");
  });
}
topologyBuilders.set("ss-rekeyed-twice", (b) => {
  const l = b.stream("left", strings).selectKey((_k, v) => v) as KStream<string, string>;
  const r = b.stream("right", strings) as KStream<string, string>;
  l.join(r, concat, windows, stringJoined).to("out1");
  l.leftJoin(r, concat, windows, { ...stringJoined, storeName: "s2" }).to("out2");
});
topologyBuilders.set("st-join", (b) => {
  const t = b.table("table", strings);
  b.stream("left", strings).join(t, concat).to("out");
});
topologyBuilders.set("st-left-named", (b) => {
  const t = b.table("table", { ...strings, storeName: "table-store" });
  b.stream("left", strings)
    .selectKey((_k, v) => v)
    .leftJoin(t, concat, { ...tableJoined, name: "enrich" })
    .to("out");
});
topologyBuilders.set("st-left-rekeyed", (b) => {
  const t = b.table("table", strings);
  b.stream("left", strings)
    .map((k, v) => ({ key: v, value: k }))
    .leftJoin(t, (a, c) => String(a) + String(c), tableJoined)
    .to("out");
});
topologyBuilders.set("sg", (b) => {
  const g = b.globalTable("global", strings);
  const s = b.stream("left", strings);
  s.join(g, (_k, v) => v, concat).to("out1");
  s.selectKey((_k, v) => v)
    .leftJoin(
      g,
      (k) => k,
      (a, c) => String(a) + String(c),
    )
    .to("out2");
  s.leftJoin(
    g,
    (_k, v) => v,
    (a, c) => String(a) + String(c),
    { name: "named-global" },
  ).to("out3");
});

describe("KStream join topologies describe() as Kafka Streams 4.4.0's", () => {
  const kafka = readGoldenTopologies(dir);
  test("every topology of JoinTopologies.java is built here", () => {
    assert.deepEqual([...topologyBuilders.keys()].sort(), [...kafka.keys()].sort());
  });
  for (const [id, build] of topologyBuilders) {
    test(id, () => {
      const builder = new StreamsBuilder({ logger: silentLogger });
      build(builder);
      assert.equal(builder.build().describe().toString(), kafka.get(id));
    });
  }
});
