// Connection options shared by every client command: the bootstrap brokers (-b/--brokers, then
// $SAMSA_BROKERS, then 127.0.0.1:9092), the request timeout, and factories for the client
// library's Admin, Producer and Consumer with settings that fail fast and clearly when the cluster
// is unreachable (a CLI should not retry for a minute before saying so).
import { Admin, Consumer, Producer } from "@platformatic/kafka";
import type { BaseOptions } from "@platformatic/kafka";
import type { Args } from "./args.ts";
import { UsageError } from "./errors.ts";

export const defaultBrokers = "127.0.0.1:9092";
export const clientId = "samsa-cli";

export interface ConnectionSettings {
  readonly brokers: readonly string[];
  readonly timeoutMs: number;
}

/** Splits and checks a broker list (`host:port,host:port`); IPv6 hosts go in brackets. */
export function parseBrokers(text: string): string[] {
  const brokers = text
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
  if (brokers.length === 0) throw new UsageError("--brokers is empty");
  for (const broker of brokers) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(broker);
    const port = Number(match?.[2]);
    if (match === null || port < 1 || port > 65535)
      throw new UsageError(`--brokers: expected HOST:PORT, got ${JSON.stringify(broker)}`);
  }
  return brokers;
}

export function connectionSettings(args: Args, env: Readonly<Record<string, string | undefined>>): ConnectionSettings {
  const fromFlag = args.string("brokers");
  const fromEnv = env["SAMSA_BROKERS"];
  const text = fromFlag ?? (fromEnv !== undefined && fromEnv.trim() !== "" ? fromEnv : defaultBrokers);
  return {
    brokers: parseBrokers(text),
    timeoutMs: args.int("timeout", { min: 100, max: 3_600_000 }) ?? 30_000,
  };
}

function baseOptions(settings: ConnectionSettings): BaseOptions {
  return {
    clientId,
    bootstrapBrokers: [...settings.brokers],
    connectTimeout: Math.min(settings.timeoutMs, 10_000),
    timeout: settings.timeoutMs,
    requestTimeout: settings.timeoutMs,
    retries: 2,
    retryDelay: 250,
    metadataMaxAge: 1000,
  };
}

export function createAdmin(settings: ConnectionSettings): Admin {
  return new Admin(baseOptions(settings));
}

/**
 * A producer for the CLI. The library applies the constructor's `acks` only to idempotent
 * producers; every `send` passes `acks` again so that `--acks 1|0` and non-idempotent `all` hold.
 */
export function createProducer(
  settings: ConnectionSettings,
  options: { acks: number; compression: "none" | "gzip" | "snappy" | "lz4" | "zstd"; idempotent: boolean },
): Producer {
  return new Producer({
    ...baseOptions(settings),
    acks: options.acks,
    compression: options.compression,
    idempotent: options.idempotent,
    autocreateTopics: false,
  });
}

export function createConsumer(
  settings: ConnectionSettings,
  options: { groupId: string; isolationLevel: 0 | 1 },
): Consumer {
  return new Consumer({
    ...baseOptions(settings),
    groupId: options.groupId,
    isolationLevel: options.isolationLevel,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    rebalanceTimeout: 10_000,
  });
}

/** Closes a client, bounded: a close that hangs (a dead broker) must not keep the CLI alive. */
export async function closeQuietly(client: { close(): Promise<void> } | undefined, timeoutMs = 5000): Promise<void> {
  if (client === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.close().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

/** Runs `fn` with a client and closes the client afterwards, whatever happens. */
export async function using<C extends { close(): Promise<void> }, T>(
  client: C,
  fn: (client: C) => Promise<T>,
): Promise<T> {
  try {
    return await fn(client);
  } finally {
    await closeQuietly(client);
  }
}
