// The benchmark's topologies with Samsa Streams, and what the harness needs to know about each
// (the Kafka Streams twins are in java/StreamsBench.java, case by case: keep the two in step).
// A topology reads `input` (keyed JSON events, see events.ts), writes `output`, and counts every
// input record it reads through `onInput` (the harness's start and end of processing).
//
// Adding one (e.g. a stream–table join): its name in `topologyNames`, a spec below, a case in
// StreamsBench.build; both apps take any `--name value` pairs, so a table topic travels as
// `--table TOPIC` (runOnce's appArgs) once the harness loads it (a generator next to `events` in
// events.ts, loaded before the events so the table is complete when the stream starts: Samsa
// Streams has no max.task.idle.ms wait). `onInput` counts stream records only.
import { Serdes, StreamsBuilder, TimeWindows } from "../src/index.ts";
import type { KStream, StoreType } from "../src/index.ts";
import type { Logger } from "../src/index.ts";

export const topologyNames = ["map-filter", "windowed-count", "stream-table-join"] as const;
export type TopologyName = (typeof topologyNames)[number];

/** What map-filter keeps: upper-cased values whose action is click or buy (half the events). */
export const keepClick = '"ACTION":"CLICK"';
export const keepBuy = '"ACTION":"BUY"';

export interface TopologyParams {
  readonly input: string;
  readonly output: string;
  /** Called once per input record, first thing after the source. */
  readonly onInput: () => void;
  /** Store type of DSL stores (windowed-count): Kafka Streams gets the same (in-memory or RocksDB). */
  readonly storeType: StoreType;
  readonly windowMs: number;
  /** The table topic of stream-table-join (profiles keyed by user). */
  readonly table: string;
  readonly logger: Logger;
}

export interface TopologySpec {
  readonly name: TopologyName;
  /** For the report: what it does, in the words of both DSLs. */
  readonly description: string;
  /** Whether the topology keeps state (the store type matters then). */
  readonly stateful: boolean;
  /** Output records expected from the input values (the harness checks every run against it). */
  expectedOutput(values: Iterable<string>): number;
  build(params: TopologyParams): StreamsBuilder;
}

function source(builder: StreamsBuilder, params: TopologyParams): KStream<string | null, string | null> {
  return builder.stream(params.input, { key: Serdes.string(), value: Serdes.string() }).peek(() => params.onInput());
}

export const topologies: Readonly<Record<TopologyName, TopologySpec>> = {
  "map-filter": {
    name: "map-filter",
    description:
      "stateless: `mapValues` to upper case, `filter` on the action field (keeps click and buy, about half), `to` the output topic",
    stateful: false,
    expectedOutput(values) {
      let n = 0;
      for (const value of values) {
        const upper = value.toUpperCase();
        if (upper.includes(keepClick) || upper.includes(keepBuy)) n++;
      }
      return n;
    },
    build(params) {
      const builder = new StreamsBuilder({ logger: params.logger, defaultStoreType: params.storeType });
      source(builder, params)
        .mapValues((value) => (value === null ? null : value.toUpperCase()))
        .filter((_key, value) => value !== null && (value.includes(keepClick) || value.includes(keepBuy)))
        .to(params.output, { key: Serdes.string(), value: Serdes.string() });
      return builder;
    },
  },
  "windowed-count": {
    name: "windowed-count",
    description:
      "stateful: `groupByKey` → 1-minute tumbling windows without grace → `count` → `toStream` → `to` the output topic (time-windowed key serde, long values), an update emitted per input record",
    stateful: true,
    expectedOutput(values) {
      // No record cache on either side and timestamps that never go back: every record is one update.
      return Array.from(values).length;
    },
    build(params) {
      const builder = new StreamsBuilder({ logger: params.logger, defaultStoreType: params.storeType });
      source(builder, params)
        .groupByKey({ key: Serdes.string(), value: Serdes.string() })
        .windowedBy(TimeWindows.ofSizeWithNoGrace(params.windowMs))
        .count()
        .toStream()
        .to(params.output);
      return builder;
    },
  },
  "stream-table-join": {
    name: "stream-table-join",
    description:
      "stateful: the events `join` a table of user profiles (`table` over a compacted topic, one profile per user, loaded first) by key → `to` the output topic; one output per event",
    stateful: true,
    expectedOutput(values) {
      // Every user has a profile, and the table is complete before the first event.
      return Array.from(values).length;
    },
    build(params) {
      const builder = new StreamsBuilder({ logger: params.logger, defaultStoreType: params.storeType });
      const profiles = builder.table(params.table, { key: Serdes.string(), value: Serdes.string() });
      source(builder, params)
        .join(profiles, (event, profile) => joinedValue(event, profile))
        .to(params.output, { key: Serdes.string(), value: Serdes.string() });
      return builder;
    },
  },
};

/** What stream-table-join writes for an event and its user's profile (StreamsBench.java joins the same way). */
export function joinedValue(event: string, profile: string): string {
  return `{"event":${event},"profile":${profile}}`;
}

export function isTopologyName(value: string): value is TopologyName {
  return topologyNames.some((name) => name === value);
}
