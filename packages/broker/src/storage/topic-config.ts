// Topic-level settings by their Kafka names: parsing and validating overrides into a LogConfig,
// and listing effective values (for DescribeConfigs). Unknown names are refused.
import type { LogConfig } from "./log-config.ts";

export type ConfigError = { readonly name: string; readonly message: string };

interface Setting {
  readonly field: keyof LogConfig;
  parse(value: string): LogConfig[keyof LogConfig] | undefined;
  format(config: LogConfig): string;
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number | undefined {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) return undefined;
    const n = Number(value.trim());
    if (!Number.isSafeInteger(n)) return n > 0 && max >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : undefined;
    return n >= min && n <= max ? n : undefined;
  };
}

const settings: Record<string, Setting> = {
  "segment.bytes": {
    field: "segmentBytes",
    parse: integer(14, 2 ** 31 - 1),
    format: (c) => String(c.segmentBytes),
  },
  "segment.ms": { field: "segmentMs", parse: integer(1), format: (c) => String(c.segmentMs) },
  "index.interval.bytes": {
    field: "indexIntervalBytes",
    parse: integer(0, 2 ** 31 - 1),
    format: (c) => String(c.indexIntervalBytes),
  },
  "max.message.bytes": {
    field: "maxMessageBytes",
    parse: integer(0, 2 ** 31 - 1),
    format: (c) => String(c.maxMessageBytes),
  },
  "message.timestamp.type": {
    field: "timestampType",
    parse: (v) => (v === "CreateTime" || v === "LogAppendTime" ? v : undefined),
    format: (c) => c.timestampType,
  },
  "message.timestamp.before.max.ms": {
    field: "timestampBeforeMaxMs",
    parse: integer(0),
    format: (c) =>
      c.timestampBeforeMaxMs >= Number.MAX_SAFE_INTEGER ? "9223372036854775807" : String(c.timestampBeforeMaxMs),
  },
  "message.timestamp.after.max.ms": {
    field: "timestampAfterMaxMs",
    parse: integer(0),
    format: (c) =>
      c.timestampAfterMaxMs >= Number.MAX_SAFE_INTEGER ? "9223372036854775807" : String(c.timestampAfterMaxMs),
  },
  "retention.ms": { field: "retentionMs", parse: integer(-1), format: (c) => String(c.retentionMs) },
  "retention.bytes": { field: "retentionBytes", parse: integer(-1), format: (c) => String(c.retentionBytes) },
  "cleanup.policy": {
    field: "cleanupPolicy",
    parse: (v) => {
      const parts = v
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p.length > 0);
      if (parts.length === 0 || parts.some((p) => p !== "delete" && p !== "compact")) return undefined;
      return { delete: parts.includes("delete"), compact: parts.includes("compact") };
    },
    format: (c) =>
      [c.cleanupPolicy.delete ? "delete" : "", c.cleanupPolicy.compact ? "compact" : ""].filter(Boolean).join(","),
  },
  "delete.retention.ms": { field: "deleteRetentionMs", parse: integer(0), format: (c) => String(c.deleteRetentionMs) },
  "min.cleanable.dirty.ratio": {
    field: "minCleanableDirtyRatio",
    parse: (v) => {
      const n = Number(v);
      return v.trim() !== "" && Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
    },
    format: (c) => String(c.minCleanableDirtyRatio),
  },
  "min.compaction.lag.ms": {
    field: "minCompactionLagMs",
    parse: integer(0),
    format: (c) => String(c.minCompactionLagMs),
  },
};

/** The topic settings this storage engine understands, by Kafka name. */
export const topicConfigNames: readonly string[] = Object.keys(settings);

/** Applies `overrides` (Kafka names → string values) to `base`; the first invalid or unknown one is reported. */
export function applyTopicConfigs(
  base: LogConfig,
  overrides: Readonly<Record<string, string>>,
): { config: LogConfig } | { error: ConfigError } {
  const out: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    const setting = settings[name];
    if (setting === undefined) return { error: { name, message: `unknown topic config ${name}` } };
    const parsed = setting.parse(value);
    if (parsed === undefined) return { error: { name, message: `invalid value ${JSON.stringify(value)} for ${name}` } };
    out[setting.field] = parsed;
  }
  return { config: out as unknown as LogConfig };
}

/** The effective value of each topic setting, by Kafka name. */
export function describeTopicConfig(config: LogConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).map(([name, s]) => [name, s.format(config)]));
}
