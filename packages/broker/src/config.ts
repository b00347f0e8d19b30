// Broker configuration by Kafka's setting names (plus a few `samsa.*` ones), from a
// .properties file, SAMSA_* environment variables and explicit overrides. Unknown or invalid
// settings stop startup with a message naming the setting.
import { isIP } from "node:net";
import { canonicalIp } from "./ip.ts";
import { parseJavaProperties } from "./properties.ts";
import { defaultLogConfig } from "./storage/log-config.ts";
import type { Durability, LogConfig } from "./storage/log-config.ts";
import { applyTopicConfigs } from "./storage/topic-config.ts";
import { assignorClassNames, rangeAssignorName, uniformAssignorName } from "./coordinator/assignors.ts";
import { isSecuritySetting, ListenerConfigError, resolveListeners } from "./security/listeners.ts";
import type { ListenerConfig } from "./security/listeners.ts";
import { authorizerClassNames, parseSuperUsers } from "./security/acl-authorizer.ts";
import type { AuthorizerConfig } from "./security/acl-authorizer.ts";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** The transaction coordinator's settings (Kafka's transaction.* names). */
export interface TransactionConfig {
  /** transaction.state.log.num.partitions: partitions of __transaction_state when it is created. */
  readonly stateLogPartitions: number;
  /** transaction.state.log.segment.bytes */
  readonly stateLogSegmentBytes: number;
  /** transaction.state.log.load.buffer.size: bytes read at a time while loading. */
  readonly stateLogLoadBufferBytes: number;
  /** transaction.max.timeout.ms: the largest transaction.timeout.ms a producer may ask for. */
  readonly timeoutMsMax: number;
  /** transactional.id.expiration.ms: idle transactional ids are forgotten after this. */
  readonly idExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  readonly abortTimedOutIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  readonly removeExpiredIntervalMs: number;
}

export interface BrokerConfig {
  readonly nodeId: number;
  readonly dataDir: string;
  /** The first listener's address (the one `--listen` sets). */
  readonly listen: HostPort;
  /** What clients are told to connect to; defaults to the listen address. */
  readonly advertise: HostPort | undefined;
  /** Every listener with its security protocol, TLS and SASL settings (security/listeners.ts). */
  readonly listeners: readonly ListenerConfig[];
  /** connection.failed.authentication.delay.ms: a failed login is answered after this long. */
  readonly failedAuthenticationDelayMs: number;
  /** sasl.server.max.receive.size: the largest request accepted before authentication completes. */
  readonly saslReceiveBytesMax: number;
  /** samsa.sasl.login.timeout.ms: a connection on a SASL listener must complete its login within this. */
  readonly saslLoginTimeoutMs: number;
  /** quota.window.num and quota.window.size.seconds (in ms): the windows client quota rates are measured over. */
  readonly quotaWindow: { readonly samples: number; readonly windowMs: number };
  /** authorizer.class.name, super.users, allow.everyone.if.no.acl.found (security/acl-authorizer.ts). */
  readonly authorizer: AuthorizerConfig;
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly autoCreateTopics: boolean;
  readonly socketRequestBytesMax: number;
  readonly connectionsMax: number;
  readonly connectionsPerIpMax: number;
  /** max.connections.per.ip.overrides: per-address limits in place of connectionsPerIpMax. */
  readonly connectionsPerIpOverrides: ReadonlyMap<string, number>;
  readonly connectionIdleMs: number;
  /** A request must arrive whole within this long once its first byte did (slow-loris guard). */
  readonly requestReadTimeoutMs: number;
  /** Bytes of requests in flight plus responses not yet written, per connection, before reading pauses. */
  readonly connectionInflightBytesMax: number;
  /** Requests in flight per connection before reading pauses. */
  readonly connectionInflightRequestsMax: number;
  readonly durability: Durability;
  /** Broker-level defaults of topic settings (log.* names). */
  readonly logDefaults: LogConfig;
  readonly retentionCheckIntervalMs: number;
  /** log.cleaner.backoff.ms: pause between compaction rounds. */
  readonly cleanerBackoffMs: number;
  /** log.cleaner.io.max.bytes.per.second; undefined for no limit. */
  readonly cleanerIoBytesPerSecondMax: number | undefined;
  /** samsa.log.cleaner.keys.max: distinct keys one compaction pass maps (bounds its memory). */
  readonly cleanerKeysMax: number;
  readonly checkpointIntervalMs: number;
  readonly openFilesMax: number;
  /** HTTP listener for /metrics and /health; undefined turns it off. */
  readonly metricsListen: HostPort | undefined;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  /** The group coordinator: group.* and offsets.* settings. */
  readonly groupCoordinator: GroupCoordinatorConfig;
  readonly transactions: TransactionConfig;
}

/** The group coordinator's settings, by their Kafka names. */
export interface GroupCoordinatorConfig {
  /** group.min.session.timeout.ms */
  readonly sessionTimeoutMsMin: number;
  /** group.max.session.timeout.ms */
  readonly sessionTimeoutMsMax: number;
  /** group.initial.rebalance.delay.ms: how long a new group waits for more members. */
  readonly initialRebalanceDelayMs: number;
  /** group.max.size */
  readonly groupSizeMax: number;
  /** offsets.retention.minutes, in ms: how long an Empty group's offsets are kept. */
  readonly offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  readonly offsetsRetentionCheckIntervalMs: number;
  /** offsets.topic.num.partitions: partitions of __consumer_offsets when it is created. */
  readonly offsetsTopicPartitions: number;
  /** offsets.topic.segment.bytes */
  readonly offsetsTopicSegmentBytes: number;
  /** offsets.commit.timeout.ms: how long a commit waits for its write before failing. */
  readonly offsetCommitTimeoutMs: number;
  /** offset.metadata.max.bytes: the longest metadata string of a committed offset. */
  readonly offsetMetadataBytesMax: number;
  /** offsets.load.buffer.size: bytes read at a time when loading __consumer_offsets. */
  readonly offsetsLoadBufferBytes: number;
  /** group.consumer.heartbeat.interval.ms: how often consumer-protocol members heartbeat. */
  readonly consumerHeartbeatIntervalMs: number;
  /** group.consumer.session.timeout.ms: a consumer-protocol member silent this long is removed. */
  readonly consumerSessionTimeoutMs: number;
  /** group.consumer.max.size */
  readonly consumerGroupSizeMax: number;
  /** group.consumer.assignors: server-side assignor names; the first is the default. */
  readonly consumerAssignors: readonly string[];
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.setting = setting;
  }
}

type Settings = Readonly<Record<string, string>>;

/** max.connections.per.ip.overrides: `address:count,…` (an IPv6 address keeps its colons: the count follows the last). */
function perIpOverrides(value: string): Map<string, number> {
  const name = "max.connections.per.ip.overrides";
  const out = new Map<string, number>();
  for (const entry of value.split(",").map((e) => e.trim())) {
    if (entry === "") continue;
    const at = entry.lastIndexOf(":");
    const address = entry.slice(0, at).trim();
    if (at <= 0 || isIP(address) === 0) {
      throw new ConfigError(name, `expected address:count entries with IP addresses, got ${JSON.stringify(entry)}`);
    }
    out.set(canonicalIp(address), int(name, entry.slice(at + 1), 0, 2 ** 31 - 1));
  }
  return out;
}

function int(name: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const trimmed = value.trim();
  if (!/^-?\d+$/.test(trimmed)) throw new ConfigError(name, `expected an integer, got ${JSON.stringify(value)}`);
  const n = Number(trimmed);
  // Kafka writes "no limit" as Long.MAX_VALUE; clamp what JavaScript cannot hold exactly.
  if (!Number.isSafeInteger(n)) return n > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  if (n < min || n > max) throw new ConfigError(name, `${n} is outside ${min}..${max}`);
  return n;
}

function bool(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(value)}`);
}

export function parseHostPort(name: string, value: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value.trim());
  if (m === null) throw new ConfigError(name, `expected HOST:PORT, got ${JSON.stringify(value)}`);
  const port = Number(m[3]);
  if (port < 0 || port > 65535) throw new ConfigError(name, `port ${port} is outside 0..65535`);
  return { host: m[1] ?? m[2] ?? "", port };
}

/** Listeners and their security settings; a ListenerConfigError becomes a ConfigError. */
function listenersConfig(given: Readonly<Record<string, string>>): ListenerConfig[] {
  try {
    return resolveListeners((name) => given[name]);
  } catch (error) {
    if (error instanceof ListenerConfigError) throw new ConfigError(error.setting, error.message);
    throw error;
  }
}

/** Kafka's log.* broker settings that set topic defaults, by the topic setting they default. */
const logDefaultNames: Readonly<Record<string, string>> = {
  "log.segment.bytes": "segment.bytes",
  "log.roll.ms": "segment.ms",
  "log.index.interval.bytes": "index.interval.bytes",
  "message.max.bytes": "max.message.bytes",
  "log.message.timestamp.type": "message.timestamp.type",
  "log.message.timestamp.before.max.ms": "message.timestamp.before.max.ms",
  "log.message.timestamp.after.max.ms": "message.timestamp.after.max.ms",
  "log.retention.ms": "retention.ms",
  "log.retention.bytes": "retention.bytes",
  "log.cleanup.policy": "cleanup.policy",
  "log.cleaner.delete.retention.ms": "delete.retention.ms",
  "log.cleaner.min.cleanable.ratio": "min.cleanable.dirty.ratio",
  "log.cleaner.min.compaction.lag.ms": "min.compaction.lag.ms",
};

/** Every setting the broker accepts, with its default (as Kafka writes it). */
export const brokerSettingDefaults: Readonly<Record<string, string>> = {
  "node.id": "0",
  "log.dirs": "./data",
  listeners: "PLAINTEXT://127.0.0.1:9092",
  "advertised.listeners": "",
  "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
  "connection.failed.authentication.delay.ms": "100",
  "sasl.server.max.receive.size": "524288",
  "samsa.sasl.login.timeout.ms": "10000",
  "quota.window.num": "11",
  "quota.window.size.seconds": "1",
  "authorizer.class.name": "",
  "super.users": "",
  "allow.everyone.if.no.acl.found": "false",
  "num.partitions": "1",
  "default.replication.factor": "1",
  "auto.create.topics.enable": "true",
  "socket.request.max.bytes": "104857600",
  "max.connections": "2147483647",
  "max.connections.per.ip": "2147483647",
  "max.connections.per.ip.overrides": "",
  "connections.max.idle.ms": "600000",
  "log.retention.check.interval.ms": "300000",
  "log.cleaner.backoff.ms": "15000",
  "producer.id.expiration.ms": "86400000",
  "log.cleaner.io.max.bytes.per.second": "1.7976931348623157E308",
  "samsa.log.cleaner.keys.max": "1000000",
  "log.flush.offset.checkpoint.interval.ms": "60000",
  "log.segment.bytes": "1073741824",
  "log.roll.ms": "604800000",
  "log.roll.hours": "168",
  "log.index.interval.bytes": "4096",
  "message.max.bytes": "1048588",
  "log.message.timestamp.type": "CreateTime",
  "log.message.timestamp.before.max.ms": "9223372036854775807",
  "log.message.timestamp.after.max.ms": "3600000",
  "log.retention.ms": "604800000",
  "log.retention.minutes": "10080",
  "log.retention.hours": "168",
  "log.retention.bytes": "-1",
  "log.cleanup.policy": "delete",
  "log.cleaner.delete.retention.ms": "86400000",
  "log.cleaner.min.cleanable.ratio": "0.5",
  "log.cleaner.min.compaction.lag.ms": "0",
  "samsa.log.durability": "fsync",
  "samsa.log.flush.interval.ms": "1000",
  "samsa.open.files.max": "1024",
  "samsa.request.read.timeout.ms": "30000",
  "samsa.connection.inflight.bytes.max": "104857600",
  "samsa.connection.inflight.requests.max": "100",
  "samsa.metrics.listen": "",
  "samsa.log.level": "info",
  "group.min.session.timeout.ms": "6000",
  "group.max.session.timeout.ms": "1800000",
  "group.initial.rebalance.delay.ms": "3000",
  "group.max.size": "2147483647",
  "offsets.retention.minutes": "10080",
  "offsets.retention.check.interval.ms": "600000",
  // Kafka creates 50; a single node gains nothing from more than a few (see docs/compatibility.md).
  "offsets.topic.num.partitions": "10",
  "offsets.topic.segment.bytes": "104857600",
  "offsets.commit.timeout.ms": "5000",
  // Kafka creates 50 partitions of __transaction_state; as for __consumer_offsets, a few do.
  "transaction.state.log.num.partitions": "10",
  "transaction.state.log.segment.bytes": "104857600",
  "transaction.state.log.load.buffer.size": "5242880",
  "transaction.max.timeout.ms": "900000",
  "transactional.id.expiration.ms": "604800000",
  "transaction.abort.timed.out.transaction.cleanup.interval.ms": "10000",
  "transaction.remove.expired.transaction.cleanup.interval.ms": "3600000",
  "offset.metadata.max.bytes": "4096",
  "offsets.load.buffer.size": "5242880",
  // The consumer rebalance protocol (KIP-848); the min/max settings bound the heartbeat interval
  // and the session timeout, as in Kafka.
  "group.consumer.heartbeat.interval.ms": "5000",
  "group.consumer.min.heartbeat.interval.ms": "5000",
  "group.consumer.max.heartbeat.interval.ms": "15000",
  "group.consumer.session.timeout.ms": "45000",
  "group.consumer.min.session.timeout.ms": "45000",
  "group.consumer.max.session.timeout.ms": "60000",
  "group.consumer.max.size": "2147483647",
  "group.consumer.assignors": "uniform,range",
};

/** Accepted for compatibility with Kafka configs, but with no effect on a single node. */
const ignoredSettings = new Set([
  "process.roles",
  "controller.quorum.voters",
  "controller.quorum.bootstrap.servers",
  "controller.listener.names",
  "inter.broker.listener.name",
  "sasl.mechanism.inter.broker.protocol",
  "offsets.topic.replication.factor",
  "transaction.state.log.replication.factor",
  "transaction.state.log.min.isr",
  "min.insync.replicas",
  "num.network.threads",
  "num.io.threads",
  "num.recovery.threads.per.data.dir",
  "socket.send.buffer.bytes",
  "socket.receive.buffer.bytes",
  "broker.id",
  "log.dir",
]);

/** The authorizer: Kafka's StandardAuthorizer class name turns it on, empty leaves it off. */
function authorizerConfig(className: string, superUsers: string, allowIfNoAcl: string): AuthorizerConfig {
  const name = className.trim();
  if (name !== "" && !authorizerClassNames.has(name)) {
    throw new ConfigError("authorizer.class.name", `unsupported authorizer ${JSON.stringify(name)}`);
  }
  return {
    enabled: name !== "",
    superUsers: parseSuperUsers(superUsers),
    allowEveryoneIfNoAclFound: bool("allow.everyone.if.no.acl.found", allowIfNoAcl),
  };
}

/** Kafka's default for the cleaner's I/O limit is Double.MAX_VALUE: no limit. */
function ioRate(value: string): number | undefined {
  const n = Number(value);
  if (value.trim() === "" || !(n > 0)) {
    throw new ConfigError(
      "log.cleaner.io.max.bytes.per.second",
      `expected a positive number, got ${JSON.stringify(value)}`,
    );
  }
  return n >= Number.MAX_SAFE_INTEGER ? undefined : n;
}

/**
 * A server.properties text as Kafka reads it (Java's Properties.load; properties.ts). Throws
 * PropertiesError for malformed text (a bad \\u escape, too large).
 */
export function parseProperties(text: string): Record<string, string> {
  return Object.fromEntries(parseJavaProperties(text, "the config file"));
}

/** SAMSA_LOG_RETENTION_MS=… → log.retention.ms=… (lower case, underscores to dots). */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith("SAMSA_") || value === undefined) continue;
    const name = key.slice("SAMSA_".length).toLowerCase().replaceAll("_", ".");
    // SAMSA_BROKERS and SAMSA_TEST_* belong to the CLI and tests, not the broker.
    if (name === "brokers" || name.startsWith("test.") || name.startsWith("bench.") || name.startsWith("fuzz."))
      continue;
    out[name] = value;
  }
  return out;
}

/**
 * Builds the broker config from layered settings (later layers win). Throws ConfigError naming
 * the first unknown or invalid setting.
 */
export function resolveBrokerConfig(...layers: readonly Settings[]): BrokerConfig {
  const given: Record<string, string> = {};
  for (const layer of layers) Object.assign(given, layer);
  for (const name of Object.keys(given)) {
    if (!(name in brokerSettingDefaults) && !ignoredSettings.has(name) && !isSecuritySetting(name)) {
      throw new ConfigError(name, "unknown setting");
    }
  }
  if (given["log.dir"] !== undefined && given["log.dirs"] === undefined) given["log.dirs"] = given["log.dir"];
  const s = (name: string): string => given[name] ?? brokerSettingDefaults[name] ?? "";
  const has = (name: string): boolean => given[name] !== undefined;

  const logDirs = s("log.dirs")
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean);
  if (logDirs.length !== 1) throw new ConfigError("log.dirs", "exactly one data directory is supported");
  const durabilityMode = s("samsa.log.durability");
  let durability: Durability;
  if (durabilityMode === "fsync" || durabilityMode === "os") durability = { mode: durabilityMode };
  else if (durabilityMode === "interval") {
    durability = {
      mode: "interval",
      intervalMs: int("samsa.log.flush.interval.ms", s("samsa.log.flush.interval.ms"), 1),
    };
  } else
    throw new ConfigError(
      "samsa.log.durability",
      `expected fsync, interval or os, got ${JSON.stringify(durabilityMode)}`,
    );

  // Topic defaults: log.* names mapped onto topic settings; Kafka's hours/minutes variants too.
  const topicDefaults: Record<string, string> = {};
  for (const [brokerName, topicName] of Object.entries(logDefaultNames)) {
    if (has(brokerName)) topicDefaults[topicName] = s(brokerName);
  }
  // As in Kafka: ms beats minutes beats hours, and any negative value means unlimited (-1).
  const anyInt = (name: string): number => int(name, s(name), Number.MIN_SAFE_INTEGER);
  const retentionMs = has("log.retention.ms")
    ? anyInt("log.retention.ms")
    : has("log.retention.minutes")
      ? anyInt("log.retention.minutes") * 60_000
      : has("log.retention.hours")
        ? anyInt("log.retention.hours") * 3_600_000
        : undefined;
  if (retentionMs !== undefined) {
    topicDefaults["retention.ms"] = String(Math.min(Number.MAX_SAFE_INTEGER, Math.max(-1, retentionMs)));
  }
  if (!has("log.roll.ms") && has("log.roll.hours")) {
    topicDefaults["segment.ms"] = String(int("log.roll.hours", s("log.roll.hours"), 1) * 3_600_000);
  }
  const applied = applyTopicConfigs(defaultLogConfig, topicDefaults);
  if ("error" in applied) {
    const brokerName =
      Object.entries(logDefaultNames).find(([, t]) => t === applied.error.name)?.[0] ?? applied.error.name;
    throw new ConfigError(brokerName, applied.error.message);
  }
  const level = s("samsa.log.level");
  if (level !== "debug" && level !== "info" && level !== "warn" && level !== "error") {
    throw new ConfigError("samsa.log.level", `expected debug, info, warn or error, got ${JSON.stringify(level)}`);
  }
  const metrics = s("samsa.metrics.listen");
  const listeners = listenersConfig(given);
  const first = listeners[0];
  if (first === undefined) throw new ConfigError("listeners", "at least one listener is needed");
  return {
    nodeId: int("node.id", s("node.id"), 0, 2 ** 31 - 1),
    dataDir: logDirs[0] ?? "./data",
    listen: { host: first.host, port: first.port },
    advertise: first.advertised,
    listeners,
    failedAuthenticationDelayMs: int(
      "connection.failed.authentication.delay.ms",
      s("connection.failed.authentication.delay.ms"),
      0,
    ),
    saslReceiveBytesMax: int("sasl.server.max.receive.size", s("sasl.server.max.receive.size"), 1, 2 ** 31 - 1),
    saslLoginTimeoutMs: int("samsa.sasl.login.timeout.ms", s("samsa.sasl.login.timeout.ms"), 1),
    quotaWindow: {
      samples: int("quota.window.num", s("quota.window.num"), 1, 1000),
      windowMs: int("quota.window.size.seconds", s("quota.window.size.seconds"), 1, 3600) * 1000,
    },
    authorizer: authorizerConfig(s("authorizer.class.name"), s("super.users"), s("allow.everyone.if.no.acl.found")),
    numPartitions: int("num.partitions", s("num.partitions"), 1, 100_000),
    defaultReplicationFactor: int("default.replication.factor", s("default.replication.factor"), 1, 1),
    autoCreateTopics: bool("auto.create.topics.enable", s("auto.create.topics.enable")),
    socketRequestBytesMax: int("socket.request.max.bytes", s("socket.request.max.bytes"), 1024, 2 ** 31 - 1),
    connectionsMax: int("max.connections", s("max.connections"), 1),
    connectionsPerIpMax: int("max.connections.per.ip", s("max.connections.per.ip"), 0),
    connectionsPerIpOverrides: perIpOverrides(s("max.connections.per.ip.overrides")),
    connectionIdleMs: int("connections.max.idle.ms", s("connections.max.idle.ms"), 1),
    requestReadTimeoutMs: int("samsa.request.read.timeout.ms", s("samsa.request.read.timeout.ms"), 1),
    connectionInflightBytesMax: int(
      "samsa.connection.inflight.bytes.max",
      s("samsa.connection.inflight.bytes.max"),
      1024,
    ),
    connectionInflightRequestsMax: int(
      "samsa.connection.inflight.requests.max",
      s("samsa.connection.inflight.requests.max"),
      1,
    ),
    durability,
    logDefaults: {
      ...applied.config,
      producerIdExpirationMs: int("producer.id.expiration.ms", s("producer.id.expiration.ms"), 1),
    },
    retentionCheckIntervalMs: int("log.retention.check.interval.ms", s("log.retention.check.interval.ms"), 1),
    cleanerBackoffMs: int("log.cleaner.backoff.ms", s("log.cleaner.backoff.ms"), 1),
    cleanerIoBytesPerSecondMax: ioRate(s("log.cleaner.io.max.bytes.per.second")),
    cleanerKeysMax: int("samsa.log.cleaner.keys.max", s("samsa.log.cleaner.keys.max"), 1),
    checkpointIntervalMs: int(
      "log.flush.offset.checkpoint.interval.ms",
      s("log.flush.offset.checkpoint.interval.ms"),
      1,
    ),
    openFilesMax: int("samsa.open.files.max", s("samsa.open.files.max"), 8),
    metricsListen: metrics === "" ? undefined : parseHostPort("samsa.metrics.listen", metrics),
    logLevel: level,
    groupCoordinator: groupCoordinatorConfig(s),
    transactions: transactionConfig(s),
  };
}

function transactionConfig(s: (name: string) => string): TransactionConfig {
  const setting = (name: string, min: number, max = 2 ** 31 - 1): number => int(name, s(name), min, max);
  return {
    stateLogPartitions: setting("transaction.state.log.num.partitions", 1, 1000),
    stateLogSegmentBytes: setting("transaction.state.log.segment.bytes", 1),
    stateLogLoadBufferBytes: setting("transaction.state.log.load.buffer.size", 1),
    timeoutMsMax: setting("transaction.max.timeout.ms", 1),
    idExpirationMs: setting("transactional.id.expiration.ms", 1),
    abortTimedOutIntervalMs: setting("transaction.abort.timed.out.transaction.cleanup.interval.ms", 1),
    removeExpiredIntervalMs: setting("transaction.remove.expired.transaction.cleanup.interval.ms", 1),
  };
}

function groupCoordinatorConfig(s: (name: string) => string): GroupCoordinatorConfig {
  const setting = (name: string, min: number, max = 2 ** 31 - 1): number => int(name, s(name), min, max);
  const sessionTimeoutMsMin = setting("group.min.session.timeout.ms", 0);
  const sessionTimeoutMsMax = setting("group.max.session.timeout.ms", 0);
  if (sessionTimeoutMsMax < sessionTimeoutMsMin) {
    throw new ConfigError("group.max.session.timeout.ms", "must not be below group.min.session.timeout.ms");
  }
  return {
    sessionTimeoutMsMin,
    sessionTimeoutMsMax,
    initialRebalanceDelayMs: setting("group.initial.rebalance.delay.ms", 0),
    groupSizeMax: setting("group.max.size", 1),
    offsetsRetentionMs: setting("offsets.retention.minutes", 1) * 60_000,
    offsetsRetentionCheckIntervalMs: setting("offsets.retention.check.interval.ms", 1),
    offsetsTopicPartitions: setting("offsets.topic.num.partitions", 1, 1000),
    offsetsTopicSegmentBytes: setting("offsets.topic.segment.bytes", 1),
    offsetCommitTimeoutMs: setting("offsets.commit.timeout.ms", 1),
    offsetMetadataBytesMax: setting("offset.metadata.max.bytes", 0),
    offsetsLoadBufferBytes: setting("offsets.load.buffer.size", 1),
    ...consumerProtocolConfig(s, setting),
  };
}

/** group.consumer.* (KIP-848), validated as Kafka's GroupCoordinatorConfig does. */
function consumerProtocolConfig(
  s: (name: string) => string,
  setting: (name: string, min: number, max?: number) => number,
): Pick<
  GroupCoordinatorConfig,
  "consumerHeartbeatIntervalMs" | "consumerSessionTimeoutMs" | "consumerGroupSizeMax" | "consumerAssignors"
> {
  const bounded = (name: string, minName: string, maxName: string): number => {
    const min = setting(minName, 1);
    const max = setting(maxName, 1);
    if (max < min) throw new ConfigError(maxName, `must not be below ${minName}`);
    const value = setting(name, 1);
    if (value < min || value > max)
      throw new ConfigError(name, `${value} is outside ${minName}..${maxName} (${min}..${max})`);
    return value;
  };
  const heartbeatMs = bounded(
    "group.consumer.heartbeat.interval.ms",
    "group.consumer.min.heartbeat.interval.ms",
    "group.consumer.max.heartbeat.interval.ms",
  );
  const sessionMs = bounded(
    "group.consumer.session.timeout.ms",
    "group.consumer.min.session.timeout.ms",
    "group.consumer.max.session.timeout.ms",
  );
  if (heartbeatMs >= sessionMs) {
    throw new ConfigError("group.consumer.heartbeat.interval.ms", "must be below group.consumer.session.timeout.ms");
  }
  const assignors = s("group.consumer.assignors")
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "")
    .map((a) => assignorClassNames[a] ?? a);
  const unknown = assignors.find((a) => a !== uniformAssignorName && a !== rangeAssignorName);
  if (unknown !== undefined) {
    throw new ConfigError("group.consumer.assignors", `unknown assignor ${unknown} (known: uniform, range)`);
  }
  if (assignors.length === 0) throw new ConfigError("group.consumer.assignors", "at least one assignor is needed");
  return {
    consumerHeartbeatIntervalMs: heartbeatMs,
    consumerSessionTimeoutMs: sessionMs,
    consumerGroupSizeMax: setting("group.consumer.max.size", 1),
    consumerAssignors: [...new Set(assignors)],
  };
}
