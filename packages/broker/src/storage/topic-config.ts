// Topic-level settings by their Kafka names — every one Apache Kafka 4.x accepts — with Kafka's
// types, defaults and validation: parsing overrides into a LogConfig, and listing effective values
// with their sources and synonyms (CreateTopics, DescribeConfigs). Unknown names are refused.
// Settings Samsa has no use for are validated and stored but change nothing (see
// `topicConfigsWithoutEffect`), so tools and Kafka Streams that set them keep working.
import { defaultLogConfig } from "./log-config.ts";
import type { LogConfig } from "./log-config.ts";

export type ConfigError = { readonly name: string; readonly message: string };

/** Kafka's config types, by the codes DescribeConfigs v3+ reports. */
export const ConfigType = {
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;
export type ConfigTypeName = keyof typeof ConfigType;

/** Where a config value comes from: Kafka's DescribeConfigs source codes. */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

/** A value in its canonical form (as Kafka prints it), or why it is invalid. */
type Checked = { readonly value: string } | { readonly reason: string };

interface Setting {
  readonly type: ConfigTypeName;
  /** Kafka's default, canonical. */
  readonly defaultValue: string;
  /** The broker setting that supplies the default (Kafka's synonym), if any. */
  readonly brokerSynonym: string | undefined;
  readonly doc: string;
  check(raw: string): Checked;
  /** How the setting reaches the log; absent when Samsa stores it without acting on it. */
  readonly effect?: {
    apply(value: string): Partial<LogConfig>;
    format(config: LogConfig): string;
  };
}

const intMin = -(2n ** 31n);
const intMax = 2n ** 31n - 1n;
const longMin = -(2n ** 63n);
const longMax = 2n ** 63n - 1n;
const longMaxText = longMax.toString();

/** Integers as Kafka's ConfigDef reads them (trimmed, an optional sign), range-checked with BigInt. */
function integer(type: "INT" | "LONG", min: bigint, max = type === "INT" ? intMax : longMax) {
  return (raw: string): Checked => {
    const t = raw.trim();
    const [lo, hi] = type === "INT" ? [intMin, intMax] : [longMin, longMax];
    if (!/^[+-]?\d+$/.test(t) || BigInt(t) < lo || BigInt(t) > hi) return { reason: `Not a number of type ${type}` };
    const n = BigInt(t);
    if (n < min) return { reason: `Value must be at least ${min}` };
    if (n > max) return { reason: `Value must be no more than ${max}` };
    return { value: n.toString() };
  };
}

/** A canonical integer as a JavaScript number; Kafka's "no limit" (Long.MAX_VALUE) is clamped. */
function toNumber(value: string): number {
  const n = BigInt(value);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (n < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(n);
}

/** The inverse of `toNumber` for display: a clamped "no limit" prints as Long.MAX_VALUE again. */
function longText(n: number): string {
  return n >= Number.MAX_SAFE_INTEGER ? longMaxText : String(n);
}

function boolean(raw: string): Checked {
  const t = raw.trim().toLowerCase();
  return t === "true" || t === "false" ? { value: t } : { reason: "Expected value to be either true or false" };
}

function oneOf(...allowed: string[]) {
  return (raw: string): Checked => {
    const t = raw.trim();
    return allowed.includes(t) ? { value: t } : { reason: `String must be one of: ${allowed.join(", ")}` };
  };
}

/** Java's Double.toString, for the values a [0, 1] ratio takes. */
function javaDouble(n: number): string {
  if (Number.isInteger(n)) return n.toFixed(1);
  if (n !== 0 && Math.abs(n) < 1e-3) {
    const [mantissa = "0", exponent = "0"] = n.toExponential().split("e");
    return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}E${exponent.replace("+", "")}`;
  }
  return String(n);
}

function ratio(raw: string): Checked {
  const t = raw.trim();
  const n = Number(t);
  if (t === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || !Number.isFinite(n)) {
    return { reason: "Not a number of type DOUBLE" };
  }
  if (n < 0) return { reason: "Value must be at least 0" };
  if (n > 1) return { reason: "Value must be no more than 1" };
  return { value: javaDouble(n) };
}

/** Kafka's list parsing: comma-separated, blanks around commas ignored, no empty or duplicate items. */
function listItems(raw: string): string[] | { reason: string } {
  const t = raw.trim();
  if (t === "") return [];
  const items = t.split(/\s*,\s*/);
  if (items.some((i) => i === "")) return { reason: "values must not be empty" };
  if (new Set(items).size !== items.length) return { reason: "values must not be duplicated" };
  return items;
}

function cleanupPolicy(raw: string): Checked {
  const items = listItems(raw);
  if (!Array.isArray(items)) return items;
  const bad = items.find((i) => i !== "delete" && i !== "compact");
  if (bad !== undefined) return { reason: `String must be one of: compact, delete` };
  return { value: items.join(",") };
}

/** leader/follower.replication.throttled.replicas: `*`, or `partition:broker` pairs. */
function throttledReplicas(raw: string): Checked {
  const items = listItems(raw);
  if (!Array.isArray(items)) return items;
  if (items.join("") === "*" || items.every((i) => /^\d+:\d+$/.test(i))) return { value: items.join(",") };
  return { reason: "must be the literal '*' or a list of replicas as [partitionId]:[brokerId],..." };
}

function gzipLevel(raw: string): Checked {
  const checked = integer("INT", -1n, 9n)(raw);
  return "value" in checked && checked.value === "0" ? { reason: "Value must be -1 or between 1 and 9" } : checked;
}

function setting(
  type: ConfigTypeName,
  defaultValue: string,
  brokerSynonym: string | undefined,
  check: (raw: string) => Checked,
  doc: string,
  effect?: Setting["effect"],
): Setting {
  return effect === undefined
    ? { type, defaultValue, brokerSynonym, check, doc }
    : { type, defaultValue, brokerSynonym, check, doc, effect };
}

const settings: Readonly<Record<string, Setting>> = {
  "cleanup.policy": setting(
    "LIST",
    "delete",
    "log.cleanup.policy",
    cleanupPolicy,
    "How old data goes: delete (by retention), compact (keep the latest value per key), both, or none (empty: keep everything).",
    {
      apply: (v) => ({
        cleanupPolicy: { delete: v.split(",").includes("delete"), compact: v.split(",").includes("compact") },
      }),
      format: (c) =>
        [c.cleanupPolicy.delete ? "delete" : "", c.cleanupPolicy.compact ? "compact" : ""].filter(Boolean).join(","),
    },
  ),
  "compression.gzip.level": setting(
    "INT",
    "-1",
    "compression.gzip.level",
    gzipLevel,
    "Level for broker-side gzip compression. No effect in Samsa (batches are stored as produced).",
  ),
  "compression.lz4.level": setting(
    "INT",
    "9",
    "compression.lz4.level",
    integer("INT", 1n, 17n),
    "Level for broker-side lz4 compression. No effect in Samsa (batches are stored as produced).",
  ),
  "compression.type": setting(
    "STRING",
    "producer",
    "compression.type",
    oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
    "Final compression of the topic's batches; producer keeps the producer's codec. Samsa always keeps it (no recompression).",
  ),
  "compression.zstd.level": setting(
    "INT",
    "3",
    "compression.zstd.level",
    integer("INT", -131072n, 22n),
    "Level for broker-side zstd compression. No effect in Samsa (batches are stored as produced).",
  ),
  "delete.retention.ms": setting(
    "LONG",
    "86400000",
    "log.cleaner.delete.retention.ms",
    integer("LONG", 0n),
    "How long a compacted topic keeps tombstones, so slow readers still see deletions.",
    { apply: (v) => ({ deleteRetentionMs: toNumber(v) }), format: (c) => longText(c.deleteRetentionMs) },
  ),
  "errors.deadletterqueue.group.enable": setting(
    "BOOLEAN",
    "false",
    undefined,
    boolean,
    "Whether share groups may use this topic as a dead-letter queue. No effect in Samsa (no share groups).",
  ),
  "file.delete.delay.ms": setting(
    "LONG",
    "60000",
    "log.segment.delete.delay.ms",
    integer("LONG", 0n),
    "Delay before a deleted segment's files are removed. No effect in Samsa (removed at once).",
  ),
  "flush.messages": setting(
    "LONG",
    longMaxText,
    "log.flush.interval.messages",
    integer("LONG", 1n),
    "Force an fsync every this many messages. No effect in Samsa: samsa.log.durability decides for the broker.",
  ),
  "flush.ms": setting(
    "LONG",
    longMaxText,
    "log.flush.interval.ms",
    integer("LONG", 0n),
    "Force an fsync at least this often. No effect in Samsa: samsa.log.durability decides for the broker.",
  ),
  "follower.replication.throttled.replicas": setting(
    "LIST",
    "",
    undefined,
    throttledReplicas,
    "Replicas whose follower-side replication is throttled. No effect in Samsa (no replication).",
  ),
  "index.interval.bytes": setting(
    "INT",
    "4096",
    "log.index.interval.bytes",
    integer("INT", 0n),
    "Bytes of log between offset index entries.",
    { apply: (v) => ({ indexIntervalBytes: toNumber(v) }), format: (c) => String(c.indexIntervalBytes) },
  ),
  "leader.replication.throttled.replicas": setting(
    "LIST",
    "",
    undefined,
    throttledReplicas,
    "Replicas whose leader-side replication is throttled. No effect in Samsa (no replication).",
  ),
  "local.retention.bytes": setting(
    "LONG",
    "-2",
    "log.local.retention.bytes",
    integer("LONG", -2n),
    "Local size limit with tiered storage (-2: retention.bytes). No effect in Samsa (no tiered storage).",
  ),
  "local.retention.ms": setting(
    "LONG",
    "-2",
    "log.local.retention.ms",
    integer("LONG", -2n),
    "Local time limit with tiered storage (-2: retention.ms). No effect in Samsa (no tiered storage).",
  ),
  "max.compaction.lag.ms": setting(
    "LONG",
    longMaxText,
    "log.cleaner.max.compaction.lag.ms",
    integer("LONG", 1n),
    "Longest a record may stay uncompacted. No effect in Samsa yet: the cleaner goes by the dirty ratio.",
  ),
  "max.message.bytes": setting(
    "INT",
    "1048588",
    "message.max.bytes",
    integer("INT", 0n),
    "Largest record batch the topic accepts, in bytes.",
    { apply: (v) => ({ maxMessageBytes: toNumber(v) }), format: (c) => String(c.maxMessageBytes) },
  ),
  "message.timestamp.after.max.ms": setting(
    "LONG",
    "3600000",
    "log.message.timestamp.after.max.ms",
    integer("LONG", 0n),
    "How far in the future a CreateTime timestamp may be.",
    { apply: (v) => ({ timestampAfterMaxMs: toNumber(v) }), format: (c) => longText(c.timestampAfterMaxMs) },
  ),
  "message.timestamp.before.max.ms": setting(
    "LONG",
    longMaxText,
    "log.message.timestamp.before.max.ms",
    integer("LONG", 0n),
    "How far in the past a CreateTime timestamp may be.",
    { apply: (v) => ({ timestampBeforeMaxMs: toNumber(v) }), format: (c) => longText(c.timestampBeforeMaxMs) },
  ),
  "message.timestamp.type": setting(
    "STRING",
    "CreateTime",
    "log.message.timestamp.type",
    oneOf("CreateTime", "LogAppendTime"),
    "Whether records keep the producer's timestamp (CreateTime) or get the broker's (LogAppendTime).",
    {
      apply: (v) => ({ timestampType: v === "LogAppendTime" ? "LogAppendTime" : "CreateTime" }),
      format: (c) => c.timestampType,
    },
  ),
  "min.cleanable.dirty.ratio": setting(
    "DOUBLE",
    "0.5",
    "log.cleaner.min.cleanable.ratio",
    ratio,
    "Share of the log that must be uncompacted before the cleaner compacts it.",
    { apply: (v) => ({ minCleanableDirtyRatio: Number(v) }), format: (c) => javaDouble(c.minCleanableDirtyRatio) },
  ),
  "min.compaction.lag.ms": setting(
    "LONG",
    "0",
    "log.cleaner.min.compaction.lag.ms",
    integer("LONG", 0n),
    "Shortest time a record stays uncompacted.",
    { apply: (v) => ({ minCompactionLagMs: toNumber(v) }), format: (c) => longText(c.minCompactionLagMs) },
  ),
  "min.insync.replicas": setting(
    "INT",
    "1",
    "min.insync.replicas",
    integer("INT", 1n),
    "Replicas that must have a write for acks=all to succeed. No effect in Samsa (one replica, always in sync).",
  ),
  preallocate: setting(
    "BOOLEAN",
    "false",
    "log.preallocate",
    boolean,
    "Preallocate segment files on disk. No effect in Samsa.",
  ),
  "remote.copy.lag.bytes": setting(
    "LONG",
    "-1",
    "log.remote.copy.lag.bytes",
    integer("LONG", -1n),
    "Bytes of lag before segments are copied to tiered storage. No effect in Samsa (no tiered storage).",
  ),
  "remote.copy.lag.ms": setting(
    "LONG",
    "0",
    "log.remote.copy.lag.ms",
    integer("LONG", -1n),
    "Time lag before segments are copied to tiered storage. No effect in Samsa (no tiered storage).",
  ),
  "remote.log.copy.disable": setting(
    "BOOLEAN",
    "false",
    undefined,
    boolean,
    "Stop copying segments to tiered storage. No effect in Samsa (no tiered storage).",
  ),
  "remote.log.delete.on.disable": setting(
    "BOOLEAN",
    "false",
    undefined,
    boolean,
    "Delete tiered data when tiered storage is turned off. No effect in Samsa (no tiered storage).",
  ),
  "remote.storage.enable": setting(
    "BOOLEAN",
    "false",
    undefined,
    boolean,
    "Tiered storage for the topic. Samsa has none, so only false is accepted (as Kafka with tiered storage off).",
  ),
  "retention.bytes": setting(
    "LONG",
    "-1",
    "log.retention.bytes",
    integer("LONG", longMin),
    "Size a partition may grow to before old segments are deleted; -1 for no limit.",
    { apply: (v) => ({ retentionBytes: toNumber(v) }), format: (c) => longText(c.retentionBytes) },
  ),
  "retention.ms": setting(
    "LONG",
    "604800000",
    "log.retention.ms",
    integer("LONG", -1n),
    "How long segments are kept before deletion; -1 keeps them forever.",
    { apply: (v) => ({ retentionMs: toNumber(v) }), format: (c) => longText(c.retentionMs) },
  ),
  // Kafka 4 requires at least 1 MiB (KIP-1030) and keeps an internal setting for smaller test
  // segments; Samsa keeps Kafka 3's minimum instead, so small segments need no hidden setting.
  "segment.bytes": setting(
    "INT",
    "1073741824",
    "log.segment.bytes",
    integer("INT", 14n),
    "Size at which the active segment is rolled.",
    { apply: (v) => ({ segmentBytes: toNumber(v) }), format: (c) => String(c.segmentBytes) },
  ),
  "segment.index.bytes": setting(
    "INT",
    "10485760",
    "log.index.size.max.bytes",
    integer("INT", 4n),
    "Preallocated size of a segment's offset index. No effect in Samsa (indexes grow as needed).",
  ),
  "segment.jitter.ms": setting(
    "LONG",
    "0",
    "log.roll.jitter.ms",
    integer("LONG", 0n),
    "Random time subtracted from segment.ms so segments do not roll all at once. No effect in Samsa.",
  ),
  "segment.ms": setting(
    "LONG",
    "604800000",
    "log.roll.ms",
    integer("LONG", 1n),
    "Age at which the active segment is rolled, so retention and compaction can reach it.",
    { apply: (v) => ({ segmentMs: toNumber(v) }), format: (c) => longText(c.segmentMs) },
  ),
  "unclean.leader.election.enable": setting(
    "BOOLEAN",
    "false",
    "unclean.leader.election.enable",
    boolean,
    "Allow an out-of-sync replica to become leader. No effect in Samsa (one replica).",
  ),
};

/** Every topic setting Samsa accepts (Kafka 4.x's), by Kafka name. */
export const topicConfigNames: readonly string[] = Object.keys(settings).sort();

/** Settings that are validated, stored and described but change nothing in Samsa (docs/compatibility.md). */
export const topicConfigsWithoutEffect: readonly string[] = topicConfigNames.filter(
  (name) => settings[name]?.effect === undefined,
);

/** What is known of a topic setting, for the admin APIs. */
export interface TopicConfigDefinition {
  readonly name: string;
  readonly type: ConfigTypeName;
  readonly defaultValue: string;
  readonly brokerSynonym: string | undefined;
  readonly doc: string;
  readonly hasEffect: boolean;
}

export function topicConfigDefinition(name: string): TopicConfigDefinition | undefined {
  const s = settings[name];
  if (s === undefined) return undefined;
  const { type, defaultValue, brokerSynonym, doc } = s;
  return { name, type, defaultValue, brokerSynonym, doc, hasEffect: s.effect !== undefined };
}

/** A value in Kafka's canonical form (e.g. `" 100 "` → `"100"`), or the error to answer. */
export function checkTopicConfig(name: string, value: string): { value: string } | { error: ConfigError } {
  const s = settings[name];
  if (s === undefined) return { error: { name, message: `Unknown topic config name: ${name}` } };
  const checked = s.check(value);
  if ("reason" in checked) {
    return { error: { name, message: `Invalid value ${value} for configuration ${name}: ${checked.reason}` } };
  }
  return checked;
}

/** Applies `overrides` (Kafka names → string values) to `base`; the first invalid or unknown one is reported. */
export function applyTopicConfigs(
  base: LogConfig,
  overrides: Readonly<Record<string, string>>,
): { config: LogConfig } | { error: ConfigError } {
  let config: LogConfig = { ...base };
  for (const [name, raw] of Object.entries(overrides)) {
    const checked = checkTopicConfig(name, raw);
    if ("error" in checked) return checked;
    const effect = settings[name]?.effect;
    if (effect !== undefined) config = { ...config, ...effect.apply(checked.value) };
  }
  const conflict = crossCheck(config, overrides);
  return conflict === undefined ? { config } : { error: conflict };
}

/** Kafka's checks across settings (LogConfig.validateValues and the tiered-storage guard). */
function crossCheck(config: LogConfig, overrides: Readonly<Record<string, string>>): ConfigError | undefined {
  const maxLag = BigInt(overrides["max.compaction.lag.ms"]?.trim() ?? longMaxText);
  if (BigInt(config.minCompactionLagMs) > maxLag) {
    return {
      name: "min.compaction.lag.ms",
      message: `conflict topic config setting min.compaction.lag.ms (${config.minCompactionLagMs}) > max.compaction.lag.ms (${maxLag})`,
    };
  }
  if (overrides["remote.storage.enable"]?.trim().toLowerCase() === "true") {
    return {
      name: "remote.storage.enable",
      message:
        "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.",
    };
  }
  return undefined;
}

/** The effective value of each topic setting, by Kafka name (overrides of no-effect settings included). */
export function describeTopicConfig(
  config: LogConfig,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return Object.fromEntries(topicConfigNames.map((name) => [name, effectiveValue(name, config, overrides)]));
}

function effectiveValue(name: string, config: LogConfig, overrides: Readonly<Record<string, string>>): string {
  const s = settings[name];
  if (s === undefined) return "";
  const override = overrides[name];
  if (override !== undefined) {
    const checked = s.check(override);
    if ("value" in checked) return checked.value;
  }
  return s.effect === undefined ? s.defaultValue : s.effect.format(config);
}

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string;
  readonly source: number;
}

/** One topic setting as DescribeConfigs and CreateTopics (v5+) report it. */
export interface TopicConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly source: number;
  /** Kafka's order: the topic override, the broker setting, then the default. */
  readonly synonyms: readonly ConfigSynonym[];
  readonly type: number;
  readonly doc: string;
}

/**
 * Every topic setting with its effective value and where it comes from: the topic's override
 * (DYNAMIC_TOPIC_CONFIG), the broker's log.* setting when it differs from Kafka's default
 * (STATIC_BROKER_CONFIG), or the default (DEFAULT_CONFIG, named by the broker synonym as Kafka
 * does). Settings without a broker synonym have no default synonym, as in Kafka. Sorted by name.
 */
export function topicConfigEntries(options: {
  readonly overrides: Readonly<Record<string, string>>;
  /** The broker-level defaults (log.* settings applied over Kafka's defaults). */
  readonly brokerDefaults: LogConfig;
}): TopicConfigEntry[] {
  const { overrides, brokerDefaults } = options;
  return topicConfigNames.flatMap((name) => {
    const s = settings[name];
    if (s === undefined) return [];
    const synonyms: ConfigSynonym[] = [];
    if (overrides[name] !== undefined) {
      synonyms.push({
        name,
        value: effectiveValue(name, brokerDefaults, overrides),
        source: ConfigSource.DYNAMIC_TOPIC_CONFIG,
      });
    }
    if (s.brokerSynonym !== undefined) {
      const brokerValue = s.effect === undefined ? s.defaultValue : s.effect.format(brokerDefaults);
      const kafkaDefault = s.effect === undefined ? s.defaultValue : s.effect.format(defaultLogConfig);
      if (brokerValue !== kafkaDefault) {
        synonyms.push({ name: s.brokerSynonym, value: brokerValue, source: ConfigSource.STATIC_BROKER_CONFIG });
      }
      synonyms.push({ name: s.brokerSynonym, value: s.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    }
    const first = synonyms[0];
    return [
      {
        name,
        value: first?.value ?? s.defaultValue,
        source: first?.source ?? ConfigSource.DEFAULT_CONFIG,
        synonyms,
        type: ConfigType[s.type],
        doc: s.doc,
      },
    ];
  });
}
