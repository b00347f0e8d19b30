// Child process of the exactly-once crash and zombie tests: runs a counting application under
// exactly_once_v2 until it is killed (SIGKILL), frozen (SIGSTOP/SIGCONT) or asked to stop (SIGTERM:
// a clean close). The runtime's log lines go to stdout as JSON, one per line, for the parent to
// watch; "running" is printed when the application reaches RUNNING.
// Run: node runtime-eos-child.ts <json options>
//   { bootstrapServers, applicationId, input, output, stateDir, topology: "dsl" | "counting",
//     commitIntervalMs?, transactionTimeoutMs?, sessionTimeoutMs? }
// "dsl": groupByKey().count() in a persistent (node:sqlite) store, the count as text to `output`.
// "counting": the runtime fixtures' counting plan (an in-memory store).
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { silentLogger } from "../src/logger.ts";
import { KafkaStreams } from "../src/runtime/kafka-streams.ts";
import type { StreamsLogger } from "../src/runtime/options.ts";
import { Serdes } from "../src/serdes.ts";
import { countingPlan, observations } from "./runtime-fixtures.ts";

export interface EosChildOptions {
  readonly bootstrapServers: string;
  readonly applicationId: string;
  readonly input: string;
  readonly output: string;
  readonly stateDir: string;
  readonly topology: "dsl" | "counting";
  readonly commitIntervalMs?: number;
  readonly transactionTimeoutMs?: number;
  readonly sessionTimeoutMs?: number;
}

function print(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function run(options: EosChildOptions): Promise<void> {
  const logger: StreamsLogger = {
    log(level, message, fields) {
      if (level !== "debug") print({ level, message, ...fields });
    },
  };
  let topology;
  if (options.topology === "dsl") {
    const builder = new StreamsBuilder({ logger: silentLogger });
    builder
      .stream(options.input, { key: Serdes.string(), value: Serdes.string() })
      .groupByKey()
      .count({ storeName: "counts", storeType: "persistent" })
      .toStream()
      .mapValues((count) => String(count))
      .to(options.output, { key: Serdes.string(), value: Serdes.string() });
    topology = builder.build();
  } else {
    topology = countingPlan({
      applicationId: options.applicationId,
      sourceTopics: [options.input],
      output: options.output,
      observed: observations(),
    });
  }
  const sessionTimeout = options.sessionTimeoutMs ?? 6_000;
  const streams = new KafkaStreams(topology, {
    applicationId: options.applicationId,
    bootstrapServers: options.bootstrapServers,
    stateDir: options.stateDir,
    processingGuarantee: "exactly_once_v2",
    ...(options.commitIntervalMs === undefined ? {} : { commitIntervalMs: options.commitIntervalMs }),
    producer: options.transactionTimeoutMs === undefined ? {} : { transactionTimeoutMs: options.transactionTimeoutMs },
    consumer: { sessionTimeout, heartbeatInterval: 500, rebalanceTimeout: sessionTimeout },
    logger,
  });
  streams.onStateChange((next) => {
    print({ state: next });
    if (next === "RUNNING") print({ message: "running" });
  });
  process.on("SIGTERM", () => {
    void streams.close({ timeoutMs: 30_000 }).then(() => {
      print({ message: "closed" });
      process.exit(0);
    });
  });
  await streams.start();
}

const [json] = process.argv.slice(2);
if (process.argv[1] === import.meta.filename && json !== undefined) {
  run(JSON.parse(json) as EosChildOptions).catch((error: unknown) => {
    print({ level: "error", message: "child failed", error: String(error) });
    process.exit(1);
  });
}
