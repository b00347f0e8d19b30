// DescribeConfigs: a topic's settings (its overrides, the broker's log.* defaults, Kafka's
// defaults, with sources and synonyms), this broker's settings, and its logger. Also home of the
// config resource types and broker-name checks the AlterConfigs handlers share.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { DescribeConfigsResponseResourceResult, DescribeConfigsResponseResult, Input } from "@samsa/protocol";
import { brokerSettingDefaults } from "../config.ts";
import type { BrokerConfig, HostPort } from "../config.ts";
import { defineHandler } from "../context.ts";
import type { BrokerState } from "../context.ts";
import { TopicError } from "../storage/log-manager.ts";
import {
  ConfigSource,
  ConfigType,
  describeTopicConfig,
  topicConfigDefinition,
  topicConfigEntries,
  topicConfigNames,
} from "../storage/topic-config.ts";
import type { ConfigSynonym, ConfigTypeName } from "../storage/topic-config.ts";
import { errorCodeOf } from "../topics.ts";
import { Operation } from "../security/acl.ts";
import { configsDenied } from "../security/acl-authorizer.ts";

/** Kafka's ConfigResource.Type codes. */
export const ConfigResourceType = {
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;

type ResourceResult = Input<DescribeConfigsResponseResult>;
type ConfigResult = Input<DescribeConfigsResponseResourceResult>;

/** A failed resource: the error code and the message to answer. */
export interface ResourceError {
  readonly errorCode: number;
  readonly errorMessage: string;
}

/** Kafka parses broker resource names with Integer.parseInt. */
function brokerId(name: string): number | undefined {
  if (!/^[+-]?\d+$/.test(name)) return undefined;
  const n = Number(name);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : undefined;
}

/**
 * Checks a BROKER or BROKER_LOGGER resource name: this node's id, or "" (the cluster-wide
 * defaults) where `allowDefault`. Kafka answers INVALID_REQUEST for anything else.
 */
export function brokerNameError(broker: BrokerState, name: string, allowDefault: boolean): ResourceError | undefined {
  if (name === "") {
    return allowDefault
      ? undefined
      : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Broker id must not be empty" };
  }
  const id = brokerId(name);
  if (id === undefined) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Broker id must be an integer, but it is: ${name}` };
  }
  if (id !== broker.config.nodeId) {
    const expected = allowDefault ? `${broker.config.nodeId} or empty string` : String(broker.config.nodeId);
    return {
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `Unexpected broker id, expected ${expected}, but received ${name}`,
    };
  }
  return undefined;
}

/** The topic a TOPIC resource names, or the error to answer (invalid name, unknown topic). */
export function topicResource(
  broker: BrokerState,
  name: string,
): { overrides: Readonly<Record<string, string>> } | ResourceError {
  const invalid = broker.logs.validateTopic(name, {});
  if (invalid instanceof TopicError) return { errorCode: errorCodeOf(invalid), errorMessage: invalid.message };
  const topic = broker.logs.topic(name);
  if (topic === undefined) {
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unknown topic ${name}` };
  }
  return { overrides: topic.configs };
}

interface Detail {
  readonly includeSynonyms: boolean;
  readonly includeDocumentation: boolean;
  readonly keys: readonly string[] | null;
}

function wanted(detail: Detail, name: string): boolean {
  return detail.keys === null || detail.keys.length === 0 || detail.keys.includes(name);
}

function describeTopic(broker: BrokerState, name: string, detail: Detail): ResourceResult {
  const found = topicResource(broker, name);
  if ("errorCode" in found) return { ...found, configs: [] };
  const configs: ConfigResult[] = topicConfigEntries({
    overrides: found.overrides,
    brokerDefaults: broker.logs.defaults,
  })
    .filter((e) => wanted(detail, e.name))
    .map((e) => ({
      name: e.name,
      value: e.value,
      readOnly: false,
      isDefault: e.source === ConfigSource.DEFAULT_CONFIG,
      configSource: e.source,
      isSensitive: false,
      synonyms: detail.includeSynonyms ? e.synonyms : [],
      configType: e.type,
      documentation: detail.includeDocumentation ? e.doc : null,
    }));
  return { errorCode: 0, errorMessage: null, configs };
}

/** Types and docs of the broker's own settings (the log.* ones take their topic setting's type). */
const brokerSettingInfo: Readonly<Record<string, { type: ConfigTypeName; doc: string }>> = {
  "node.id": { type: "INT", doc: "This node's id; Samsa is a single node that is broker and controller." },
  "log.dirs": { type: "LIST", doc: "The data directory (Samsa supports exactly one)." },
  listeners: { type: "LIST", doc: "Where the broker listens: NAME://host:port per listener." },
  "advertised.listeners": { type: "LIST", doc: "The address clients are told to connect to; the listener when unset." },
  "num.partitions": { type: "INT", doc: "Partitions of auto-created topics and of CreateTopics asking for -1." },
  "default.replication.factor": { type: "INT", doc: "Replication factor for new topics; 1 on a single node." },
  "auto.create.topics.enable": { type: "BOOLEAN", doc: "Create unknown topics when clients ask for them." },
  "socket.request.max.bytes": { type: "INT", doc: "Largest request accepted, in bytes." },
  "max.connections": { type: "INT", doc: "Most client connections at once." },
  "max.connections.per.ip": { type: "INT", doc: "Most client connections at once from one address." },
  "connections.max.idle.ms": { type: "LONG", doc: "Idle connections are closed after this long." },
  "log.retention.check.interval.ms": { type: "LONG", doc: "How often retention is applied." },
  "log.cleaner.backoff.ms": { type: "LONG", doc: "Pause between log cleaner rounds." },
  "log.cleaner.io.max.bytes.per.second": { type: "DOUBLE", doc: "I/O rate limit of the log cleaner." },
  "producer.id.expiration.ms": { type: "INT", doc: "Idle idempotent producers are forgotten after this long." },
  "log.flush.offset.checkpoint.interval.ms": { type: "INT", doc: "How often recovery points are checkpointed." },
  "log.roll.hours": { type: "INT", doc: "segment.ms default in hours (log.roll.ms wins)." },
  "log.retention.minutes": { type: "INT", doc: "retention.ms default in minutes (log.retention.ms wins)." },
  "log.retention.hours": { type: "INT", doc: "retention.ms default in hours (minutes and ms win)." },
  "samsa.log.durability": { type: "STRING", doc: "When appends are made durable: fsync, interval or os." },
  "samsa.log.flush.interval.ms": { type: "LONG", doc: "fsync period in the interval durability mode." },
  "samsa.log.cleaner.keys.max": { type: "INT", doc: "Keys the log cleaner's map holds per round." },
  "samsa.open.files.max": { type: "INT", doc: "Most segment files open at once." },
  "samsa.request.read.timeout.ms": { type: "LONG", doc: "A started request must arrive whole within this long." },
  "samsa.connection.inflight.bytes.max": { type: "LONG", doc: "Bytes in flight per connection before reading pauses." },
  "samsa.connection.inflight.requests.max": {
    type: "INT",
    doc: "Requests in flight per connection before reading pauses.",
  },
  "samsa.metrics.listen": { type: "STRING", doc: "HTTP address of /metrics and /health; empty turns it off." },
  "samsa.log.level": { type: "STRING", doc: "Least severe log level written." },
};

function listener(name: string, address: HostPort): string {
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return `${name}://${host}:${address.port}`;
}

/** `ms` in a coarser unit, when it is a whole number of them (-1, "forever", stays -1). */
function inUnit(ms: number, unitMs: number): string | null {
  if (ms < 0) return "-1";
  return ms % unitMs === 0 ? String(ms / unitMs) : null;
}

/**
 * The broker's effective settings that BrokerConfig lets us recover, by Kafka name. Settings not
 * listed here are described with their defaults.
 */
function brokerValues(
  config: BrokerConfig,
  logDefaults: BrokerState["logs"]["defaults"],
): Record<string, string | null> {
  const values: Record<string, string | null> = {
    "node.id": String(config.nodeId),
    "log.dirs": config.dataDir,
    listeners: config.listeners.map((l) => listener(l.name, l)).join(","),
    "advertised.listeners": config.listeners.some((l) => l.advertised !== undefined)
      ? config.listeners.map((l) => listener(l.name, l.advertised ?? l)).join(",")
      : null,
    "num.partitions": String(config.numPartitions),
    "default.replication.factor": String(config.defaultReplicationFactor),
    "auto.create.topics.enable": String(config.autoCreateTopics),
    "socket.request.max.bytes": String(config.socketRequestBytesMax),
    "max.connections": String(config.connectionsMax),
    "max.connections.per.ip": String(config.connectionsPerIpMax),
    "connections.max.idle.ms": String(config.connectionIdleMs),
    "log.retention.check.interval.ms": String(config.retentionCheckIntervalMs),
    "log.cleaner.backoff.ms": String(config.cleanerBackoffMs),
    "samsa.log.cleaner.keys.max": String(config.cleanerKeysMax),
    "log.flush.offset.checkpoint.interval.ms": String(config.checkpointIntervalMs),
    "log.roll.hours": inUnit(logDefaults.segmentMs, 3_600_000),
    "log.retention.minutes": inUnit(logDefaults.retentionMs, 60_000),
    "log.retention.hours": inUnit(logDefaults.retentionMs, 3_600_000),
    "samsa.log.durability": config.durability.mode,
    "samsa.open.files.max": String(config.openFilesMax),
    "samsa.request.read.timeout.ms": String(config.requestReadTimeoutMs),
    "samsa.connection.inflight.bytes.max": String(config.connectionInflightBytesMax),
    "samsa.connection.inflight.requests.max": String(config.connectionInflightRequestsMax),
    "samsa.metrics.listen":
      config.metricsListen === undefined ? "" : `${config.metricsListen.host}:${config.metricsListen.port}`,
    "samsa.log.level": config.logLevel,
  };
  if (config.durability.mode === "interval")
    values["samsa.log.flush.interval.ms"] = String(config.durability.intervalMs);
  if (config.cleanerIoBytesPerSecondMax !== undefined) {
    values["log.cleaner.io.max.bytes.per.second"] = String(config.cleanerIoBytesPerSecondMax);
  }
  // The log.* settings that default topic settings: their effective values, by broker name.
  const topicValues = describeTopicConfig(logDefaults);
  for (const name of topicConfigNames) {
    const definition = topicConfigDefinition(name);
    const value = topicValues[name];
    if (definition?.hasEffect === true && definition.brokerSynonym !== undefined && value !== undefined) {
      values[definition.brokerSynonym] = value;
    }
  }
  return values;
}

/** Topic settings by the broker setting that supplies their default (log.segment.bytes → segment.bytes). */
const topicSettingByBrokerName = new Map(
  topicConfigNames.flatMap((name) => {
    const synonym = topicConfigDefinition(name)?.brokerSynonym;
    return synonym === undefined ? [] : [[synonym, name] as const];
  }),
);

function describeBroker(broker: BrokerState, detail: Detail): ResourceResult {
  const values = brokerValues(broker.config, broker.logs.defaults);
  const configs: ConfigResult[] = [];
  for (const [name, defaultText] of Object.entries(brokerSettingDefaults).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!wanted(detail, name)) continue;
    const defaultValue = defaultText === "" && name === "advertised.listeners" ? null : defaultText;
    const value = name in values ? (values[name] ?? null) : defaultValue;
    const topicSetting = topicSettingByBrokerName.get(name);
    const topicDefinition = topicSetting === undefined ? undefined : topicConfigDefinition(topicSetting);
    const info = brokerSettingInfo[name];
    const type = info?.type ?? topicDefinition?.type;
    // Without dynamic broker configs a value is either the default or came from the static
    // configuration (properties file, environment, options): Kafka's STATIC_BROKER_CONFIG.
    const source = value === defaultValue ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
    const synonyms: ConfigSynonym[] = [];
    if (source === ConfigSource.STATIC_BROKER_CONFIG && value !== null) {
      synonyms.push({ name, value, source });
    }
    if (defaultValue !== null) synonyms.push({ name, value: defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    configs.push({
      name,
      value,
      // Samsa has no dynamic broker configs: every broker setting is read-only at runtime.
      readOnly: true,
      isDefault: source === ConfigSource.DEFAULT_CONFIG,
      configSource: source,
      isSensitive: false,
      synonyms: detail.includeSynonyms ? synonyms : [],
      configType: type === undefined ? 0 : ConfigType[type],
      documentation: detail.includeDocumentation ? (info?.doc ?? topicDefinition?.doc ?? null) : null,
    });
  }
  return { errorCode: 0, errorMessage: null, configs };
}

/** Samsa's one logger, with its level named as Log4j names levels. */
function describeLogger(broker: BrokerState, detail: Detail): ResourceResult {
  if (!wanted(detail, "root")) return { errorCode: 0, errorMessage: null, configs: [] };
  return {
    errorCode: 0,
    errorMessage: null,
    configs: [
      {
        name: "root",
        value: broker.config.logLevel.toUpperCase(),
        // Kafka lets IncrementalAlterConfigs change logger levels; Samsa does not (yet).
        readOnly: true,
        isDefault: false,
        configSource: ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG,
        isSensitive: false,
        synonyms: [],
        configType: 0,
        documentation: null,
      },
    ],
  };
}

export const describeConfigsHandler = defineHandler({
  apiKey: ApiKey.DescribeConfigs,
  // v0 was removed in Kafka 4.
  versions: { min: 1, max: 4 },
  handle(context, request) {
    const { broker } = context;
    const results: ResourceResult[] = request.resources.map((resource) => {
      const detail: Detail = {
        includeSynonyms: request.includeSynonyms,
        includeDocumentation: request.includeDocumentation,
        keys: resource.configurationKeys,
      };
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      const fail = (error: ResourceError): ResourceResult => ({ ...base, ...error, configs: [] });
      const denied = configsDenied(context, Operation.DESCRIBE_CONFIGS, resource.resourceType, resource.resourceName);
      if (denied !== undefined) return fail(denied);
      switch (resource.resourceType) {
        case ConfigResourceType.TOPIC:
          return { ...base, ...describeTopic(broker, resource.resourceName, detail) };
        case ConfigResourceType.BROKER: {
          const error = brokerNameError(broker, resource.resourceName, true);
          if (error !== undefined) return fail(error);
          // "" names the cluster-wide dynamic defaults, of which Samsa has none.
          if (resource.resourceName === "") return { ...base, errorCode: 0, errorMessage: null, configs: [] };
          return { ...base, ...describeBroker(broker, detail) };
        }
        case ConfigResourceType.BROKER_LOGGER: {
          const error = brokerNameError(broker, resource.resourceName, false);
          return error === undefined ? { ...base, ...describeLogger(broker, detail) } : fail(error);
        }
        default:
          // Group and client-metrics configs do not exist in Samsa yet; other codes are not resource types.
          return fail({
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `Unsupported resource type: ${resource.resourceType}`,
          });
      }
    });
    return Promise.resolve({ throttleTimeMs: 0, results });
  },
});
