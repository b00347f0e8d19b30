// Page views per user per minute: a tumbling one-minute window over the event time of each page
// view (the record's timestamp), with a grace period for records that arrive out of order. With
// emit-final, each window is written once, when stream time passes its end plus the grace period;
// records later than that are dropped (and logged). The window store is persistent (SQLite in
// --state-dir) and logged to a compacted changelog.
//
//   node examples/clickstream-windows.ts --bootstrap 127.0.0.1:9092 --input page-views --output views-per-minute
//
// Input: key = user id, value = the page (text), timestamp = when the page was viewed.
// Output: key = user id, value = {"user","windowStart","windowStartMs","windowEndMs","views"} (JSON).
import { EmitStrategy, Serdes, StreamsBuilder, TimeWindows } from "@samsa/streams";
import type { Topology } from "@samsa/streams";
import { parseFlags, runApplication, runMain } from "./app.ts";
import type { ExampleDescription } from "./app.ts";

export const windowSizeMs = 60_000;

export const description: ExampleDescription = {
  command: "node examples/clickstream-windows.ts",
  summary: "Counts page views per user in one-minute tumbling windows and writes each window's final count.",
  applicationId: "clickstream-windows",
  input: "page-views",
  output: "views-per-minute",
  extraFlags: {
    "grace-ms": { default: 10_000, help: "how late (after a window's end) a page view still counts" },
    "retention-ms": { default: 600_000, help: "how long closed windows stay in the store" },
  },
};

/** The window store (its changelog is `<application id>-page-views-per-minute-changelog`). */
export const windowStoreName = "page-views-per-minute";

/** One window's final count, as written to the output topic. */
export interface PageViewWindow {
  readonly user: string;
  readonly windowStart: string;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly views: number;
}

export function clickstreamTopology(options: {
  readonly input: string;
  readonly output: string;
  readonly graceMs: number;
  readonly retentionMs: number;
}): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(options.input, { key: Serdes.string(), value: Serdes.string() })
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(windowSizeMs, options.graceMs))
    .emitStrategy(EmitStrategy.onWindowClose())
    .count({ storeName: windowStoreName, storeType: "persistent", retentionMs: options.retentionMs })
    .toStream()
    .filter((_window, views) => views !== null)
    .map((windowed, views) => ({
      key: windowed.key,
      value: {
        user: windowed.key,
        windowStart: new Date(windowed.window.startMs).toISOString(),
        windowStartMs: windowed.window.startMs,
        windowEndMs: windowed.window.endMs,
        views: views ?? 0,
      } satisfies PageViewWindow,
    }))
    .to(options.output, { key: Serdes.string(), value: Serdes.json<PageViewWindow>() });
  return builder.build();
}

async function main(): Promise<void> {
  const { common: flags, extra } = parseFlags(description);
  const graceMs = extra["grace-ms"] ?? 10_000;
  const retentionMs = extra["retention-ms"] ?? 600_000;
  await runApplication({
    flags,
    topology: clickstreamTopology({ input: flags.input, output: flags.output, graceMs, retentionMs }),
    topics: [{ name: flags.input }, { name: flags.output }],
  });
}

if (import.meta.main) runMain(main);
