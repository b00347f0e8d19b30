// Connection options shared by every client command: the bootstrap brokers (-b/--brokers, then
// $SAMSA_BROKERS, then bootstrap.servers in --command-config, then 127.0.0.1:9092), the request
// timeout, TLS and SASL (security.ts), and factories for the client library's Admin, Producer and
// Consumer with settings that fail fast and clearly when the cluster is unreachable (a CLI should
// not retry for a minute before saying so). Every connection of a client — the CLI's own Fetch and
// raw requests go over the Admin's pool — logs in with the same options.
import { Admin, Consumer, Producer } from "@platformatic/kafka";
import type { BaseOptions, ConnectionPoolEventPayload } from "@platformatic/kafka";
import type { Args } from "./args.ts";
import type { Context } from "./command.ts";
import { noteConnectionError, UsageError } from "./errors.ts";
import { resolveSecurity, securityEnv, securityFlags } from "./security.ts";
import type { ClientSecurity } from "./security.ts";

export const defaultBrokers = "127.0.0.1:9092";
export const clientId = "samsa-cli";

export interface ConnectionSettings {
  readonly brokers: readonly string[];
  readonly timeoutMs: number;
  readonly security: Pick<ClientSecurity, "tls" | "sasl">;
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

/** The connection settings of a command; writes security warnings (verification off) to stderr. */
export function connectionSettings(args: Args, context: Pick<Context, "env" | "stderr" | "now">): ConnectionSettings {
  const timeoutMs = args.int("timeout", { min: 100, max: 3_600_000 }) ?? 30_000;
  const security = resolveSecurity(securityFlags(args), securityEnv(context.env), context.now);
  for (const warning of security.warnings) context.stderr.write(`samsa: ${warning}\n`);
  const fromFlag = args.string("brokers");
  const fromEnv = context.env["SAMSA_BROKERS"];
  const text =
    fromFlag ??
    (fromEnv !== undefined && fromEnv.trim() !== "" ? fromEnv : (security.bootstrapServers ?? defaultBrokers));
  return { brokers: parseBrokers(text), timeoutMs, security: { tls: security.tls, sasl: security.sasl } };
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
    ...(settings.security.tls === undefined ? {} : { tls: settings.security.tls }),
    ...(settings.security.sasl === undefined ? {} : { sasl: settings.security.sasl }),
  };
}

/** Lets errors a connection reports on its own (a TLS alert after the handshake) explain a failure. */
function watched<
  C extends { on(event: "client:broker:connect", listener: (payload: ConnectionPoolEventPayload) => void): unknown },
>(client: C): C {
  client.on("client:broker:connect", ({ connection }) => connection.on("error", noteConnectionError));
  return client;
}

export function createAdmin(settings: ConnectionSettings): Admin {
  return watched(new Admin(baseOptions(settings)));
}

/**
 * A producer for the CLI. The library applies the constructor's `acks` only to idempotent
 * producers; every `send` passes `acks` again so that `--acks 1|0` and non-idempotent `all` hold.
 */
export function createProducer(
  settings: ConnectionSettings,
  options: { acks: number; compression: "none" | "gzip" | "snappy" | "lz4" | "zstd"; idempotent: boolean },
): Producer {
  return watched(
    new Producer({
      ...baseOptions(settings),
      acks: options.acks,
      compression: options.compression,
      idempotent: options.idempotent,
      autocreateTopics: false,
    }),
  );
}

export function createConsumer(
  settings: ConnectionSettings,
  options: { groupId: string; isolationLevel: 0 | 1 },
): Consumer {
  return watched(
    new Consumer({
      ...baseOptions(settings),
      groupId: options.groupId,
      isolationLevel: options.isolationLevel,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 10_000,
    }),
  );
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
