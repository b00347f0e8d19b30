// The project's own description of Kafka messages: the facts (names, types, versions, tags,
// defaults) of Kafka's message descriptors, from which scripts/gen-protocol.ts generates codecs.

/** A version range as Kafka writes it: "3+", "0-4", "2" or "none". */
export type VersionRange = string;

export type FieldDefault = string | number | bigint | boolean | null;

export interface FieldDefinition {
  /** camelCase field name. */
  readonly name: string;
  /** Primitive ("int32", "string", "records", "uuid", …), "[]T" for arrays, or a struct name. */
  readonly type: string;
  readonly versions: VersionRange;
  readonly nullableVersions?: VersionRange;
  readonly taggedVersions?: VersionRange;
  readonly tag?: number;
  /** Value used when the field is absent from a version or not given; typed by `type`. */
  readonly default?: FieldDefault;
  /** Whether a non-default value may be silently dropped when the version lacks the field. */
  readonly ignorable?: boolean;
  /** Overrides the message's flexible versions for this field (only the request header's clientId). */
  readonly flexibleVersions?: VersionRange;
  /** Fields of an inline struct (when `type` names a struct defined here). */
  readonly fields?: readonly FieldDefinition[];
}

export interface StructDefinition {
  readonly name: string;
  readonly versions: VersionRange;
  readonly fields: readonly FieldDefinition[];
}

export interface MessageDefinition {
  /** Kafka's message name, e.g. "ProduceRequest". */
  readonly name: string;
  readonly kind: "request" | "response" | "header" | "data";
  readonly apiKey?: number;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly deprecatedVersions?: VersionRange;
  /** The newest version is still under development in Kafka and not advertised by default. */
  readonly latestVersionUnstable?: boolean;
  readonly listeners?: readonly string[];
  readonly fields: readonly FieldDefinition[];
  readonly commonStructs?: readonly StructDefinition[];
}

export interface ApiDefinition {
  readonly apiKey: number;
  /** Kafka's API name, e.g. "Produce". */
  readonly name: string;
  readonly request: MessageDefinition;
  readonly response: MessageDefinition;
}

/** Parses a version range; max is Infinity for "N+", and an empty range (min > max) for "none". */
export function parseVersions(range: VersionRange): { min: number; max: number } {
  if (range === "none") return { min: 1, max: 0 };
  const plus = /^(\d+)\+$/.exec(range);
  if (plus) return { min: Number(plus[1]), max: Infinity };
  const span = /^(\d+)-(\d+)$/.exec(range);
  if (span) return { min: Number(span[1]), max: Number(span[2]) };
  if (/^\d+$/.test(range)) return { min: Number(range), max: Number(range) };
  throw new Error(`bad version range: ${range}`);
}
