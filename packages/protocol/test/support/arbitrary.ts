// fast-check arbitraries for any message of the schema at any version: every field present in
// that version gets a random value (nulls, unicode, tagged fields included); absent fields hold
// their defaults, so decode(encode(x)) must equal x exactly.
import fc from "fast-check";
import type { FieldDefinition, MessageDefinition, StructDefinition } from "../../schema/types.ts";
import { parseVersions } from "../../schema/types.ts";

type Value = unknown;

function inRange(range: string | undefined, v: number): boolean {
  if (range === undefined) return false;
  const r = parseVersions(range);
  return v >= r.min && v <= r.max;
}

const zeroUuid = "00000000-0000-0000-0000-000000000000";

function structsOf(message: MessageDefinition): Map<string, readonly FieldDefinition[]> {
  const structs = new Map<string, readonly FieldDefinition[]>();
  const walk = (fields: readonly FieldDefinition[]): void => {
    for (const f of fields) {
      if (f.fields !== undefined) {
        structs.set(f.type.replace(/^\[\]/, ""), f.fields);
        walk(f.fields);
      }
    }
  };
  for (const s of message.commonStructs ?? ([] as StructDefinition[])) {
    structs.set(s.name, s.fields);
    walk(s.fields);
  }
  walk(message.fields);
  return structs;
}

export function defaultOf(f: FieldDefinition, structs: Map<string, readonly FieldDefinition[]>): Value {
  if (f.default !== undefined) return f.default;
  switch (f.type) {
    case "bool":
      return false;
    case "int64":
      return 0n;
    case "int8":
    case "int16":
    case "uint16":
    case "int32":
    case "uint32":
    case "float64":
      return 0;
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
    case "records":
      return null;
    case "uuid":
      return zeroUuid;
  }
  if (f.type.startsWith("[]")) return [];
  const fields = structs.get(f.type);
  if (fields === undefined) throw new Error(`unknown struct ${f.type}`);
  return Object.fromEntries(fields.map((g) => [g.name, defaultOf(g, structs)]));
}

function primitive(type: string): fc.Arbitrary<Value> | undefined {
  switch (type) {
    case "bool":
      return fc.boolean();
    case "int8":
      return fc.integer({ min: -128, max: 127 });
    case "int16":
      return fc.integer({ min: -32768, max: 32767 });
    case "uint16":
      return fc.integer({ min: 0, max: 65535 });
    case "int32":
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case "uint32":
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case "int64":
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case "float64":
      return fc.double();
    case "uuid":
      return fc.uuid();
    case "string":
      return fc.string({ unit: "grapheme", maxLength: 12 });
    case "bytes":
    case "records":
      return fc.uint8Array({ maxLength: 24 });
  }
  return undefined;
}

/** An arbitrary message of `message` at `version`. */
export function messageArbitrary(message: MessageDefinition, version: number): fc.Arbitrary<Record<string, Value>> {
  const structs = structsOf(message);
  const valueOf = (type: string, depth: number): fc.Arbitrary<Value> => {
    const p = primitive(type);
    if (p !== undefined) return p;
    if (type.startsWith("[]")) return fc.array(valueOf(type.slice(2), depth + 1), { maxLength: depth > 2 ? 1 : 3 });
    const fields = structs.get(type);
    if (fields === undefined) throw new Error(`unknown struct ${type}`);
    return structOf(fields, depth + 1);
  };
  const fieldOf = (f: FieldDefinition, depth: number): fc.Arbitrary<Value> => {
    if (!inRange(f.versions, version)) return fc.constant(defaultOf(f, structs));
    const value = valueOf(f.type, depth);
    return inRange(f.nullableVersions, version) ? fc.option(value, { nil: null, freq: 4 }) : value;
  };
  const structOf = (fields: readonly FieldDefinition[], depth: number): fc.Arbitrary<Record<string, Value>> =>
    fc.record(Object.fromEntries(fields.map((f) => [f.name, fieldOf(f, depth)])), { noNullPrototype: true });
  return structOf(message.fields, 0);
}

export function versionsOf(message: MessageDefinition): number[] {
  const { min, max } = parseVersions(message.validVersions);
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}
