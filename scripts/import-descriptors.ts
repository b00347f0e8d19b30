// Derives the project's message definitions (packages/protocol/schema/apis/*.ts) from Kafka's
// JSON message descriptors. Run: npm run import-descriptors [-- DIR] (default ../shared/kafka-protocol/messages).
// The conformance test reuses convertDescriptor() to check the checked-in definitions still agree.
import { readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type {
  ApiDefinition,
  FieldDefault,
  FieldDefinition,
  MessageDefinition,
  StructDefinition,
} from "../packages/protocol/schema/types.ts";

const root = resolve(import.meta.dirname, "..");
export const defaultDescriptorDir = resolve(root, "../shared/kafka-protocol/messages");
const schemaDir = join(root, "packages/protocol/schema");

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function str(o: JsonObject, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new Error(`${key} is not a string`);
  return v;
}
function must(o: JsonObject, key: string): string {
  const v = str(o, key);
  if (v === undefined) throw new Error(`missing ${key}`);
  return v;
}

/** Kafka's descriptor files carry // comments; strip them before JSON.parse. */
export function parseDescriptor(text: string): JsonObject {
  const parsed = JSON.parse(text.replace(/^\s*\/\/.*$/gm, "")) as Json;
  if (!isObject(parsed)) throw new Error("descriptor is not an object");
  return parsed;
}

export function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

const intTypes = new Set(["int8", "int16", "uint16", "int32", "uint32"]);

function convertDefault(type: string, raw: Json | undefined): FieldDefault | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") {
    throw new Error(`unsupported default for ${type}`);
  }
  const text = String(raw);
  if (text === "null") return null;
  if (type === "bool") return text.toLowerCase() === "true";
  if (intTypes.has(type)) return Number(text);
  if (type === "int64") return BigInt(text);
  if (type === "float64") return Number(text);
  if (type === "string") return text;
  throw new Error(`unsupported default ${text} for ${type}`);
}

function convertField(o: JsonObject): FieldDefinition {
  const type = must(o, "type");
  const out: { -readonly [K in keyof FieldDefinition]: FieldDefinition[K] } = {
    name: camel(must(o, "name")),
    type,
    versions: must(o, "versions"),
  };
  const nullable = str(o, "nullableVersions");
  if (nullable !== undefined) out.nullableVersions = nullable;
  const tagged = str(o, "taggedVersions");
  if (tagged !== undefined) out.taggedVersions = tagged;
  const tag = o["tag"];
  if (typeof tag === "number") out.tag = tag;
  const def = convertDefault(type, o["default"]);
  if (def !== undefined) out.default = def;
  if (o["ignorable"] === true) out.ignorable = true;
  const flexible = str(o, "flexibleVersions");
  if (flexible !== undefined) out.flexibleVersions = flexible;
  const fields = o["fields"];
  if (Array.isArray(fields)) out.fields = fields.filter(isObject).map(convertField);
  return out;
}

export function convertDescriptor(o: JsonObject): MessageDefinition {
  const kind = must(o, "type");
  if (kind !== "request" && kind !== "response" && kind !== "header" && kind !== "data")
    throw new Error(`unknown type ${kind}`);
  const out: { -readonly [K in keyof MessageDefinition]: MessageDefinition[K] } = {
    name: must(o, "name"),
    kind,
    validVersions: must(o, "validVersions"),
    flexibleVersions: must(o, "flexibleVersions"),
    fields: (Array.isArray(o["fields"]) ? o["fields"] : []).filter(isObject).map(convertField),
  };
  const apiKey = o["apiKey"];
  if (typeof apiKey === "number") out.apiKey = apiKey;
  const deprecated = str(o, "deprecatedVersions");
  if (deprecated !== undefined) out.deprecatedVersions = deprecated;
  if (o["latestVersionUnstable"] === true) out.latestVersionUnstable = true;
  const listeners = o["listeners"];
  if (Array.isArray(listeners)) out.listeners = listeners.filter((l): l is string => typeof l === "string");
  const common = o["commonStructs"];
  if (Array.isArray(common)) {
    out.commonStructs = common.filter(isObject).map((s): StructDefinition => ({
      name: must(s, "name"),
      versions: must(s, "versions"),
      fields: (Array.isArray(s["fields"]) ? s["fields"] : []).filter(isObject).map(convertField),
    }));
  }
  return out;
}

/** Reads every descriptor in `dir`, keyed by message name. */
export function loadDescriptors(dir: string): Map<string, MessageDefinition> {
  const out = new Map<string, MessageDefinition>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const def = convertDescriptor(parseDescriptor(readFileSync(join(dir, file), "utf8")));
    out.set(def.name, def);
  }
  return out;
}

/** The APIs a client may send to a broker: requests listing the "broker" listener, with their responses. */
export function brokerApis(all: Map<string, MessageDefinition>): ApiDefinition[] {
  const apis: ApiDefinition[] = [];
  for (const request of all.values()) {
    if (request.kind !== "request" || !request.listeners?.includes("broker")) continue;
    const name = request.name.replace(/Request$/, "");
    const response = all.get(`${name}Response`);
    if (response === undefined || request.apiKey === undefined) throw new Error(`no response for ${name}`);
    apis.push({ apiKey: request.apiKey, name, request, response });
  }
  return apis.sort((a, b) => a.apiKey - b.apiKey);
}

// ---- printing the definitions as TypeScript data ----

function literal(v: FieldDefault): string {
  if (typeof v === "bigint") return `${v}n`;
  return JSON.stringify(v);
}

function printField(f: FieldDefinition, indent: string): string {
  const parts = [`name: ${JSON.stringify(f.name)}`, `type: ${JSON.stringify(f.type)}`, `versions: "${f.versions}"`];
  if (f.nullableVersions !== undefined) parts.push(`nullableVersions: "${f.nullableVersions}"`);
  if (f.taggedVersions !== undefined) parts.push(`taggedVersions: "${f.taggedVersions}"`);
  if (f.tag !== undefined) parts.push(`tag: ${f.tag}`);
  if (f.default !== undefined) parts.push(`default: ${literal(f.default)}`);
  if (f.ignorable === true) parts.push(`ignorable: true`);
  if (f.flexibleVersions !== undefined) parts.push(`flexibleVersions: "${f.flexibleVersions}"`);
  if (f.fields === undefined) return `${indent}{ ${parts.join(", ")} },`;
  return `${indent}{ ${parts.join(", ")}, fields: [\n${printFields(f.fields, indent + "  ")}\n${indent}] },`;
}

function printFields(fields: readonly FieldDefinition[], indent: string): string {
  return fields.map((f) => printField(f, indent)).join("\n");
}

function printMessage(m: MessageDefinition, indent: string): string {
  const lines = [`${indent}name: ${JSON.stringify(m.name)},`, `${indent}kind: "${m.kind}",`];
  if (m.apiKey !== undefined) lines.push(`${indent}apiKey: ${m.apiKey},`);
  lines.push(`${indent}validVersions: "${m.validVersions}",`, `${indent}flexibleVersions: "${m.flexibleVersions}",`);
  if (m.deprecatedVersions !== undefined) lines.push(`${indent}deprecatedVersions: "${m.deprecatedVersions}",`);
  if (m.latestVersionUnstable === true) lines.push(`${indent}latestVersionUnstable: true,`);
  if (m.listeners !== undefined) lines.push(`${indent}listeners: ${JSON.stringify(m.listeners)},`);
  lines.push(`${indent}fields: [\n${printFields(m.fields, indent + "  ")}\n${indent}],`);
  if (m.commonStructs !== undefined) {
    lines.push(`${indent}commonStructs: [`);
    for (const s of m.commonStructs) {
      lines.push(
        `${indent}  { name: ${JSON.stringify(s.name)}, versions: "${s.versions}", fields: [\n${printFields(s.fields, indent + "    ")}\n${indent}  ] },`,
      );
    }
    lines.push(`${indent}],`);
  }
  return lines.join("\n");
}

const header = (source: string): string =>
  `// Derived from Kafka's message descriptors (${source}) by scripts/import-descriptors.ts. Do not edit.\n`;

export function fileNameOf(apiName: string): string {
  return apiName.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

export function renderApi(api: ApiDefinition): string {
  return (
    header(`${api.name}Request.json, ${api.name}Response.json`) +
    `import type { ApiDefinition } from "../types.ts";\n\n` +
    `export const ${camel(api.name)}: ApiDefinition = {\n  apiKey: ${api.apiKey},\n  name: "${api.name}",\n` +
    `  request: {\n${printMessage(api.request, "    ")}\n  },\n  response: {\n${printMessage(api.response, "    ")}\n  },\n};\n`
  );
}

/** Standalone messages (headers, and the consumer protocol's embedded data) that get codecs too. */
export const standaloneMessages = [
  "RequestHeader",
  "ResponseHeader",
  "ConsumerProtocolSubscription",
  "ConsumerProtocolAssignment",
] as const;

export function renderStandalone(m: MessageDefinition): string {
  return (
    header(`${m.name}.json`) +
    `import type { MessageDefinition } from "../types.ts";\n\n` +
    `export const ${camel(m.name)}: MessageDefinition = {\n${printMessage(m, "  ")}\n};\n`
  );
}

export function renderIndex(apis: readonly ApiDefinition[]): string {
  const imports = apis.map((a) => `import { ${camel(a.name)} } from "./apis/${fileNameOf(a.name)}.ts";`);
  return (
    header("index of the APIs with the broker listener") +
    `import type { ApiDefinition, MessageDefinition } from "./types.ts";\n` +
    standaloneMessages.map((n) => `import { ${camel(n)} } from "./apis/${fileNameOf(n)}.ts";\n`).join("") +
    imports.join("\n") +
    `\n\n/** Every API a client may send to a broker, by API key. */\nexport const apiDefinitions: readonly ApiDefinition[] = [\n` +
    apis.map((a) => `  ${camel(a.name)},`).join("\n") +
    `\n];\n\n/** Messages outside any API that get codecs too: headers and the consumer protocol's data. */\n` +
    `export const standaloneDefinitions: readonly MessageDefinition[] = [\n` +
    standaloneMessages.map((n) => `  ${camel(n)},`).join("\n") +
    `\n];\n`
  );
}

function main(): void {
  const dir = process.argv[2] ?? defaultDescriptorDir;
  const all = loadDescriptors(dir);
  const apis = brokerApis(all);
  rmSync(join(schemaDir, "apis"), { recursive: true, force: true });
  mkdirSync(join(schemaDir, "apis"), { recursive: true });
  for (const api of apis) writeFileSync(join(schemaDir, "apis", `${fileNameOf(api.name)}.ts`), renderApi(api));
  for (const name of standaloneMessages) {
    const m = all.get(name);
    if (m === undefined) throw new Error(`missing ${name}`);
    writeFileSync(join(schemaDir, "apis", `${fileNameOf(name)}.ts`), renderStandalone(m));
  }
  writeFileSync(join(schemaDir, "index.ts"), renderIndex(apis));
  console.log(
    `wrote ${apis.length} API definitions and ${standaloneMessages.length} standalone messages to ${schemaDir}`,
  );
}

if (import.meta.main) main();
