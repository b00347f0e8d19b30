// Structured logs: one JSON object per line on stderr (or a sink given by the embedding app).

export type LogLevel = "debug" | "info" | "warn" | "error";
const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export function createLogger(options: {
  level: LogLevel;
  sink?: (line: string) => void;
  fields?: LogFields;
  clock?: () => number;
}): Logger {
  const sink = options.sink ?? ((line: string) => process.stderr.write(line + "\n"));
  const clock = options.clock ?? Date.now;
  const base = options.fields ?? {};
  const min = levelRank[options.level];
  return {
    log(level, message, fields) {
      if (levelRank[level] < min) return;
      sink(JSON.stringify({ time: new Date(clock()).toISOString(), level, message, ...base, ...fields }));
    },
    child(fields) {
      return createLogger({ ...options, sink, fields: { ...base, ...fields } });
    },
  };
}

/** A logger that drops everything (embedded use and tests that do not care). */
export const silentLogger: Logger = {
  log: () => undefined,
  child: () => silentLogger,
};
