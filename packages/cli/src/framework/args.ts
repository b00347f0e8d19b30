// Command-line parsing for every subcommand: a declarative spec per command (options, positionals,
// examples) parsed with node:util parseArgs in strict mode (built in, no dependency; unknown
// options and missing values are usage errors), typed accessors that validate values, and the
// `--help` text rendered from the same spec so help and parsing never disagree.
import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's placeholder in help (`--partitions N`). */
  readonly value?: string;
  readonly description: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly optional?: boolean;
}

export interface CommandSpec {
  /** The full command path, e.g. "topic create". */
  readonly name: string;
  readonly summary: string;
  readonly positionals?: readonly PositionalSpec[];
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Extra paragraphs after the options. */
  readonly notes?: readonly string[];
  readonly examples?: readonly string[];
  /** Whether the command talks to a cluster (adds -b/--brokers and --timeout). */
  readonly connects?: boolean;
  /** Whether the command prints data (adds -o/--output text|json). */
  readonly reads?: boolean;
}

export const connectionOptions: Readonly<Record<string, OptionSpec>> = {
  brokers: {
    type: "string",
    short: "b",
    value: "HOST:PORT,...",
    description: "bootstrap brokers (default: $SAMSA_BROKERS, then 127.0.0.1:9092)",
  },
  timeout: { type: "string", value: "MS", description: "request timeout in milliseconds (default 30000)" },
};

/** TLS and SASL, for every command that connects (security.ts resolves them; docs/cli.md). */
export const securityOptions: Readonly<Record<string, OptionSpec>> = {
  "command-config": {
    type: "string",
    value: "FILE",
    description: "Kafka client properties: security.protocol, sasl.*, ssl.* ($SAMSA_COMMAND_CONFIG)",
  },
  "security-protocol": {
    type: "string",
    value: "PROTO",
    description: "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL ($SAMSA_SECURITY_PROTOCOL)",
  },
  "sasl-mechanism": {
    type: "string",
    value: "MECH",
    description: "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER ($SAMSA_SASL_MECHANISM)",
  },
  "sasl-username": { type: "string", value: "USER", description: "SASL user name ($SAMSA_SASL_USERNAME)" },
  "sasl-password": {
    type: "string",
    value: "PASS",
    description: "SASL password; prefer $SAMSA_SASL_PASSWORD (stays out of shell history and ps)",
  },
  "tls-ca": { type: "string", value: "FILE", description: "PEM CA certificates to trust ($SAMSA_TLS_CA)" },
  "tls-cert": {
    type: "string",
    value: "FILE",
    description: "PEM client certificate (chain) for mTLS ($SAMSA_TLS_CERT)",
  },
  "tls-key": {
    type: "string",
    value: "FILE",
    description: "PEM private key of --tls-cert ($SAMSA_TLS_KEY; passphrase: $SAMSA_TLS_KEY_PASSWORD)",
  },
  "tls-insecure": {
    type: "boolean",
    description: "do not verify the broker's certificate (testing only; $SAMSA_TLS_INSECURE)",
  },
};

export const outputOption: Readonly<Record<string, OptionSpec>> = {
  output: { type: "string", short: "o", value: "text|json", description: "output format (default text)" },
};

const helpOption: Readonly<Record<string, OptionSpec>> = {
  help: { type: "boolean", short: "h", description: "show this help" },
};

export function allOptions(spec: CommandSpec): Readonly<Record<string, OptionSpec>> {
  return {
    ...spec.options,
    ...(spec.reads === true ? outputOption : {}),
    ...(spec.connects === true ? { ...connectionOptions, ...securityOptions } : {}),
    ...helpOption,
  };
}

export type OutputFormat = "text" | "json";

/** Parsed arguments of one command, with validating accessors. */
export class Args {
  readonly spec: CommandSpec;
  readonly #values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];

  constructor(
    spec: CommandSpec,
    values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>,
    positionals: readonly string[],
  ) {
    this.spec = spec;
    this.#values = values;
    this.positionals = positionals;
  }

  #declared(name: string, type: "string" | "boolean"): OptionSpec {
    const option = allOptions(this.spec)[name];
    if (option?.type !== type) throw new Error(`programmer error: ${this.spec.name} has no ${type} option --${name}`);
    return option;
  }

  flag(name: string): boolean {
    this.#declared(name, "boolean");
    return this.#values[name] === true;
  }

  string(name: string): string | undefined {
    this.#declared(name, "string");
    const value = this.#values[name];
    if (Array.isArray(value)) return typeof value.at(-1) === "string" ? String(value.at(-1)) : undefined;
    return typeof value === "string" ? value : undefined;
  }

  list(name: string): string[] {
    this.#declared(name, "string");
    const value = this.#values[name];
    if (value === undefined) return [];
    return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");
  }

  /** An integer option within [min, max], or undefined when absent. */
  int(name: string, bounds: { min?: number; max?: number } = {}): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    return parseInteger(text, `--${name}`, bounds);
  }

  oneOf<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!(choices as readonly string[]).includes(text))
      throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(text)}`);
    return text as T;
  }

  output(): OutputFormat {
    return this.oneOf("output", ["text", "json"] as const) ?? "text";
  }

  /** The positional at `index` (required unless the spec says optional). */
  positional(index: number): string {
    const value = this.positionals[index];
    if (value === undefined) {
      const name = this.spec.positionals?.[index]?.name ?? `argument ${index + 1}`;
      throw new UsageError(`missing ${name}`, `samsa ${this.spec.name} --help`);
    }
    return value;
  }

  optionalPositional(index: number): string | undefined {
    return this.positionals[index];
  }
}

export function parseInteger(text: string, what: string, bounds: { min?: number; max?: number } = {}): number {
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`${what} must be an integer, got ${JSON.stringify(text)}`);
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value)) throw new UsageError(`${what} is out of range: ${text}`);
  if (bounds.min !== undefined && value < bounds.min) throw new UsageError(`${what} must be at least ${bounds.min}`);
  if (bounds.max !== undefined && value > bounds.max) throw new UsageError(`${what} must be at most ${bounds.max}`);
  return value;
}

/** Parses `argv` (after the command path) by `spec`; returns undefined when --help was asked. */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): Args | undefined {
  const options = allOptions(spec);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          {
            type: o.type,
            ...(o.short === undefined ? {} : { short: o.short }),
            ...(o.multiple === true ? { multiple: true } : {}),
          },
        ]),
      ),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new UsageError(
      (message ?? "invalid arguments").replace(/\. To specify a positional argument.*$/, ""),
      `samsa ${spec.name} --help`,
    );
  }
  if (parsed.values["help"] === true) return undefined;
  const positionalSpecs = spec.positionals ?? [];
  const required = positionalSpecs.filter((p) => p.optional !== true).length;
  if (parsed.positionals.length < required) {
    const missing = positionalSpecs[parsed.positionals.length];
    throw new UsageError(`missing ${missing?.name ?? "an argument"}`, `samsa ${spec.name} --help`);
  }
  if (parsed.positionals.length > positionalSpecs.length) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(parsed.positionals[positionalSpecs.length])}`,
      `samsa ${spec.name} --help`,
    );
  }
  return new Args(spec, parsed.values, parsed.positionals);
}

function optionLabel(name: string, option: OptionSpec): string {
  const short = option.short === undefined ? "    " : `-${option.short}, `;
  const value = option.type === "string" ? ` ${option.value ?? "VALUE"}` : "";
  return `${short}--${name}${value}`;
}

/** Two-column help lines, the second column aligned. */
function columns(rows: readonly (readonly [string, string])[], indent = "  "): string {
  const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)));
  return rows
    .map(([left, right]) =>
      left.length > width
        ? `${indent}${left}\n${indent}${" ".repeat(width + 2)}${right}`
        : `${indent}${left.padEnd(width)}  ${right}`,
    )
    .join("\n");
}

export function renderHelp(spec: CommandSpec): string {
  const positionals = spec.positionals ?? [];
  const usageArgs = positionals.map((p) => (p.optional === true ? `[${p.name}]` : p.name)).join(" ");
  const parts = [`Usage: samsa ${spec.name}${usageArgs === "" ? "" : ` ${usageArgs}`} [options]`, "", spec.summary];
  if (positionals.length > 0) {
    parts.push("", "Arguments:", columns(positionals.map((p) => [p.name, p.description])));
  }
  const own = Object.entries(spec.options ?? {});
  if (own.length > 0) parts.push("", "Options:", columns(own.map(([n, o]) => [optionLabel(n, o), o.description])));
  const common = Object.entries({
    ...(spec.reads === true ? outputOption : {}),
    ...(spec.connects === true ? connectionOptions : {}),
    ...helpOption,
  });
  parts.push("", "Common options:", columns(common.map(([n, o]) => [optionLabel(n, o), o.description])));
  if (spec.connects === true) {
    const security = Object.entries(securityOptions);
    parts.push(
      "",
      "Security options (flag, else variable, else --command-config; docs/cli.md):",
      columns(security.map(([n, o]) => [optionLabel(n, o), o.description])),
    );
  }
  for (const note of spec.notes ?? []) parts.push("", note);
  if ((spec.examples ?? []).length > 0) parts.push("", "Examples:", ...(spec.examples ?? []).map((e) => `  ${e}`));
  return parts.join("\n") + "\n";
}

export interface GroupHelpEntry {
  readonly name: string;
  readonly summary: string;
}

export function renderGroupHelp(name: string, summary: string, entries: readonly GroupHelpEntry[]): string {
  return (
    [
      `Usage: samsa ${name} <command> [options]`,
      "",
      summary,
      "",
      "Commands:",
      columns(entries.map((e) => [e.name, e.summary])),
      "",
      `Run 'samsa ${name} <command> --help' for a command's options.`,
    ].join("\n") + "\n"
  );
}

/** `name=value` pairs (`--config retention.ms=1000`); the value may contain '='. */
export function parseAssignments(items: readonly string[], what: string): [string, string][] {
  return items.map((item) => {
    const at = item.indexOf("=");
    if (at <= 0) throw new UsageError(`${what} expects NAME=VALUE, got ${JSON.stringify(item)}`);
    return [item.slice(0, at).trim(), item.slice(at + 1)];
  });
}
