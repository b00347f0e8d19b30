// What the examples share: their command-line flags, the cluster they run on (--bootstrap,
// SAMSA_BROKERS, or an embedded Samsa broker when neither is given), their topics, one readiness
// line on stdout, and a clean close() on SIGTERM/SIGINT. Nothing here is specific to one example.
import { parseArgs } from "node:util";
import { Admin } from "@platformatic/kafka";
import { KafkaStreams, StreamsError, startEmbeddedBroker, startQueryServer } from "@samsa/streams";
import type { EmbeddedBroker, PlannableTopology, QueryServer, QueryStoreOptions, StreamsState } from "@samsa/streams";

/** A topic an example reads or writes, created when missing (in embedded mode, or with --create-topics). */
export interface TopicSpec {
  readonly name: string;
  readonly configs?: Readonly<Record<string, string>>;
}

export interface CommonFlags {
  /** undefined: start an embedded broker. */
  readonly bootstrap: string | undefined;
  readonly applicationId: string;
  readonly stateDir: string | undefined;
  readonly input: string;
  readonly output: string;
  readonly commitIntervalMs: number | undefined;
  readonly sessionTimeoutMs: number | undefined;
  readonly partitions: number;
  readonly createTopics: boolean;
  /** `--exactly-once`: Kafka Streams' exactly_once_v2 instead of at_least_once. */
  readonly exactlyOnce: boolean;
  readonly numStandbyReplicas: number | undefined;
  /** `--query-port`: serve interactive queries on 127.0.0.1:PORT (also the application server). */
  readonly queryPort: number | undefined;
}

export interface ExampleDescription {
  /** The command, for --help. */
  readonly command: string;
  readonly summary: string;
  readonly applicationId: string;
  readonly input: string;
  readonly output: string;
  /** Flags of this example only (non-negative integers, e.g. milliseconds), with their defaults. */
  readonly extraFlags?: Readonly<Record<string, { readonly default: number; readonly help: string }>>;
  /** More topics this example reads or writes (flag name → default topic name). */
  readonly extraTopics?: Readonly<Record<string, { readonly default: string; readonly help: string }>>;
}

const commonHelp = `
  --bootstrap HOST:PORT      the cluster (default: $SAMSA_BROKERS, else an embedded Samsa broker)
  --application-id ID        consumer group, internal-topic prefix and state subdirectory
  --state-dir DIR            where persistent stores keep their files (default: the OS temp dir)
  --input TOPIC              the topic to read
  --output TOPIC             the topic to write
  --commit-interval-ms N     how often progress is committed (default 30000, Kafka Streams' default)
  --session-timeout-ms N     group session timeout (default 45000, Kafka Streams' default)
  --partitions N             partitions of topics this example creates (default 2)
  --create-topics            create missing input/output topics (always on with an embedded broker)
  --exactly-once             process exactly once (Kafka Streams' exactly_once_v2) instead of at least once
  --num-standby-replicas N   warm copies of each task's state on other instances (default 0)
  --query-port N             serve interactive queries over HTTP on 127.0.0.1:N (examples with queryable stores)
  --help`;

/** A wrong flag: reported without a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

function integerFlag(name: string, text: string | undefined, { min }: { min: number }): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(value) || value < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  return value;
}

const positiveInteger = (name: string, text: string | undefined): number | undefined =>
  integerFlag(name, text, { min: 1 });

/** Parses the flags every example takes plus `description.extraFlags`; prints help and exits on --help. */
export function parseFlags(
  description: ExampleDescription,
  argv: readonly string[] = process.argv.slice(2),
): {
  readonly common: CommonFlags;
  readonly extra: Readonly<Record<string, number>>;
  readonly topics: Readonly<Record<string, string>>;
} {
  const extraFlags = description.extraFlags ?? {};
  const extraTopics = description.extraTopics ?? {};
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      bootstrap: { type: "string" },
      "application-id": { type: "string" },
      "state-dir": { type: "string" },
      input: { type: "string" },
      output: { type: "string" },
      "commit-interval-ms": { type: "string" },
      "session-timeout-ms": { type: "string" },
      partitions: { type: "string" },
      "create-topics": { type: "boolean" },
      "exactly-once": { type: "boolean" },
      "num-standby-replicas": { type: "string" },
      "query-port": { type: "string" },
      help: { type: "boolean" },
      ...Object.fromEntries(
        [...Object.keys(extraFlags), ...Object.keys(extraTopics)].map((name) => [name, { type: "string" as const }]),
      ),
    },
  });
  if (values.help === true) {
    const extraHelp = [
      ...Object.entries(extraTopics).map(
        ([name, flag]) => `\n  --${`${name} TOPIC`.padEnd(25)}${flag.help} (default ${flag.default})`,
      ),
      ...Object.entries(extraFlags).map(
        ([name, flag]) => `\n  --${`${name} N`.padEnd(25)}${flag.help} (default ${flag.default})`,
      ),
    ].join("");
    process.stdout.write(
      `usage: ${description.command} [flags]\n\n${description.summary}\n${commonHelp}${extraHelp}\n`,
    );
    process.exit(0);
  }
  const text = (name: string): string | undefined => {
    const value: unknown = (values as Record<string, unknown>)[name];
    return typeof value === "string" ? value : undefined;
  };
  const brokersFromEnv = process.env["SAMSA_BROKERS"];
  const extra: Record<string, number> = {};
  for (const [name, flag] of Object.entries(extraFlags))
    extra[name] = integerFlag(name, text(name), { min: 0 }) ?? flag.default;
  const topics: Record<string, string> = {};
  for (const [name, flag] of Object.entries(extraTopics)) topics[name] = text(name) ?? flag.default;
  return {
    common: {
      bootstrap:
        text("bootstrap") ?? (brokersFromEnv === undefined || brokersFromEnv === "" ? undefined : brokersFromEnv),
      applicationId: text("application-id") ?? description.applicationId,
      stateDir: text("state-dir"),
      input: text("input") ?? description.input,
      output: text("output") ?? description.output,
      commitIntervalMs: positiveInteger("commit-interval-ms", text("commit-interval-ms")),
      sessionTimeoutMs: positiveInteger("session-timeout-ms", text("session-timeout-ms")),
      partitions: positiveInteger("partitions", text("partitions")) ?? 2,
      createTopics: values["create-topics"] === true,
      exactlyOnce: values["exactly-once"] === true,
      numStandbyReplicas: integerFlag("num-standby-replicas", text("num-standby-replicas"), { min: 0 }),
      queryPort: positiveInteger("query-port", text("query-port")),
    },
    extra,
    topics,
  };
}

/** Creates those of `topics` that do not exist yet (with `partitions` each and their configs). */
export async function ensureTopics(bootstrap: string, topics: readonly TopicSpec[], partitions: number): Promise<void> {
  const admin = new Admin({ clientId: "samsa-example-admin", bootstrapBrokers: bootstrap.split(",") });
  try {
    const existing = new Set(await admin.listTopics({ includeInternals: false }));
    for (const topic of topics) {
      if (existing.has(topic.name)) continue;
      const configs = Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value }));
      // One request per topic: the client takes configs per request.
      await admin.createTopics({ topics: [topic.name], partitions, replicas: -1, configs });
    }
  } finally {
    await admin.close();
  }
}

export interface RunningApplication {
  readonly streams: KafkaStreams;
  readonly bootstrap: string;
  /** Closes the application (and the embedded broker, if any); resolves true when that was clean. */
  close(): Promise<boolean>;
}

const closeTimeoutMs = 30_000;

/**
 * Runs `topology` the way every example does: on the given cluster or an embedded broker, with the
 * topics created when asked, `ready …` printed once the application first reaches RUNNING, and
 * (unless `handleSignals` is false) SIGTERM/SIGINT closing it cleanly before the process exits
 * with 0 (1 when closing failed or timed out; a second signal exits at once with 130).
 */
export async function runApplication(options: {
  readonly flags: CommonFlags;
  readonly topology: PlannableTopology;
  readonly topics: readonly TopicSpec[];
  readonly handleSignals?: boolean;
  /** Stores served over HTTP with --query-port (interactive queries, routed to the instance holding a key). */
  readonly queryStores?: Readonly<Record<string, QueryStoreOptions>>;
}): Promise<RunningApplication> {
  const { flags } = options;
  let embedded: EmbeddedBroker | undefined;
  let bootstrap = flags.bootstrap;
  if (bootstrap === undefined) {
    embedded = await startEmbeddedBroker();
    bootstrap = embedded.bootstrapServers;
    process.stdout.write(`embedded Samsa broker at ${bootstrap} (in memory; gone when this process ends)\n`);
  }
  if (embedded !== undefined || flags.createTopics) await ensureTopics(bootstrap, options.topics, flags.partitions);

  const sessionTimeoutMs = flags.sessionTimeoutMs ?? 45_000;
  const streams = new KafkaStreams(options.topology, {
    applicationId: flags.applicationId,
    bootstrapServers: bootstrap,
    ...(flags.stateDir === undefined ? {} : { stateDir: flags.stateDir }),
    ...(flags.commitIntervalMs === undefined ? {} : { commitIntervalMs: flags.commitIntervalMs }),
    processingGuarantee: flags.exactlyOnce ? "exactly_once_v2" : "at_least_once",
    ...(flags.numStandbyReplicas === undefined ? {} : { numStandbyReplicas: flags.numStandbyReplicas }),
    ...(flags.queryPort === undefined ? {} : { applicationServer: `127.0.0.1:${flags.queryPort}` }),
    consumer: {
      // Kafka Streams' defaults: session.timeout.ms 45 s, heartbeat.interval.ms 3 s (less for short sessions).
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.max(500, Math.floor(sessionTimeoutMs / 6))),
      rebalanceTimeout: Math.max(60_000, sessionTimeoutMs),
    },
  });

  let queryServer: QueryServer | undefined;
  let closing: Promise<boolean> | undefined;
  const close = (): Promise<boolean> => {
    closing ??= (async () => {
      try {
        await queryServer?.close();
        return await streams.close({ timeoutMs: closeTimeoutMs });
      } finally {
        await embedded?.close();
      }
    })();
    return closing;
  };

  let started = false;
  let announced = false;
  streams.onStateChange((next: StreamsState, previous: StreamsState) => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), state: next, previous })}\n`);
    if (next === "RUNNING" && !announced) {
      announced = true;
      process.stdout.write(
        `ready application-id=${flags.applicationId} bootstrap=${bootstrap} input=${flags.input} output=${flags.output}\n`,
      );
    }
    // An error while starting rejects start() instead (reported by runMain).
    if (next === "ERROR" && started) {
      process.stderr.write("the application stopped with an error (see above)\n");
      void close().finally(() => process.exit(1));
    }
  });

  if (options.handleSignals !== false) {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        process.stderr.write(`${signal} again: exiting without a clean close\n`);
        process.exit(130);
      }
      process.stderr.write(`${signal}: closing\n`);
      void close().then(
        (clean) => {
          process.stdout.write(clean ? "closed\n" : "close timed out\n");
          process.exit(clean ? 0 : 1);
        },
        (error: unknown) => {
          process.stderr.write(`close failed: ${String(error)}\n`);
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  }

  try {
    if (flags.queryPort !== undefined && options.queryStores !== undefined) {
      // Listening first: queries answer 503 (rebalancing) until the application runs.
      queryServer = await startQueryServer({ streams, port: flags.queryPort, stores: options.queryStores });
      process.stdout.write(`interactive queries at ${queryServer.url}/stores/<store>/keys/<key>\n`);
    }
    await streams.start();
    started = true;
  } catch (error) {
    await queryServer?.close();
    await embedded?.close();
    throw error;
  }
  return { streams, bootstrap, close };
}

/** The entry point of an example: runs `main`, and reports a failure on stderr with exit code 1. */
export function runMain(main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
    const usage = error instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"));
    if (usage) process.stderr.write(`${(error as Error).message} (--help for usage)\n`);
    else if (error instanceof StreamsError && error.code === "MISSING_SOURCE_TOPIC")
      process.stderr.write(`${error.message} (create them, or pass --create-topics)\n`);
    else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
