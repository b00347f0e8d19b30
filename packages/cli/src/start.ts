// `samsa start`: runs a broker in the foreground until SIGINT/SIGTERM. Settings come from a
// Kafka-style .properties file, SAMSA_* environment variables and flags (in that order of
// precedence, flags last). Prints one line with the bootstrap address when ready.
import { readFileSync } from "node:fs";
import { ConfigError, parseProperties, settingsFromEnv, startBroker, withPlaintextListener } from "@samsa/broker";
import { clientEnvironmentVariables } from "./framework/security.ts";

export interface StartOptions {
  readonly dataDir?: string;
  readonly listen?: string;
  readonly advertise?: string;
  readonly configFile?: string;
  /** Extra `name=value` settings from `--set`. */
  readonly set?: readonly string[];
}

function fail(message: string): number {
  process.stderr.write(`samsa start: ${message}\n`);
  return 1;
}

export async function runStart(options: StartOptions): Promise<number> {
  let fileSettings: Record<string, string> = {};
  if (options.configFile !== undefined) {
    try {
      fileSettings = parseProperties(readFileSync(options.configFile, "utf8"));
    } catch (error) {
      return fail(
        `cannot read config file ${options.configFile}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const flags: Record<string, string> = {};
  for (const pair of options.set ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) return fail(`--set expects name=value, got ${JSON.stringify(pair)}`);
    flags[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (options.dataDir !== undefined) flags["log.dirs"] = options.dataDir;
  // The client commands' variables ($SAMSA_SASL_PASSWORD, ...) are not broker settings.
  const brokerEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !clientEnvironmentVariables.includes(name)),
  );
  const settings = { ...fileSettings, ...settingsFromEnv(brokerEnv), ...flags };
  // --listen / --advertise set the PLAINTEXT listener; other configured listeners stay.
  if (options.listen !== undefined)
    settings["listeners"] = withPlaintextListener(settings["listeners"], options.listen);
  if (options.advertise !== undefined) {
    settings["advertised.listeners"] = withPlaintextListener(settings["advertised.listeners"], options.advertise);
  }
  let broker;
  try {
    broker = await startBroker({ settings });
  } catch (error) {
    if (error instanceof ConfigError) return fail(`invalid setting ${error.message}`);
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
    if (code === "EADDRINUSE") return fail(`${settings["listeners"] ?? "the listen address"} is already in use`);
    // EEXIST: the data dir (or a parent) is a file — mkdir reports that rather than ENOTDIR.
    if (code === "EACCES" || code === "ENOTDIR" || code === "EROFS" || code === "ENOENT" || code === "EEXIST") {
      return fail(`data directory is unusable: ${error instanceof Error ? error.message : String(error)}`);
    }
    return fail(error instanceof Error ? error.message : String(error));
  }
  process.stdout.write(
    `samsa ready: bootstrap ${broker.bootstrap}${broker.metricsUrl === undefined ? "" : `, metrics ${broker.metricsUrl}/metrics`}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await broker.close();
  return 0;
}
