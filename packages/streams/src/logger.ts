// The library's logging seam: a one-method logger (the runtime's StreamsLogger has the same shape)
// and a default that writes one JSON object per line on stderr.

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export const stderrJsonLogger: Logger = {
  log(level, message, fields) {
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }) + "\n");
  },
};

export const silentLogger: Logger = { log: () => undefined };
