// The broker under fuzz, as its own process: the live fuzz harness (live-fuzz.ts) starts this file
// so a crash shows up as an exit and the broker's memory can be sampled apart from the fuzzer's.
// argv[2]: JSON {dataDir, settings}. Prints {"port":N,"listeners":{name:"host:port"}} on stdout once listening; logs JSON lines
// to stderr; closes cleanly on SIGTERM.
import { createLogger, startBroker } from "../../src/index.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as { dataDir?: string; settings?: Record<string, string> };
const broker = await startBroker({
  listen: "127.0.0.1:0",
  ...(options.dataDir === undefined ? { inMemory: true } : { dataDir: options.dataDir }),
  settings: options.settings ?? {},
  logger: createLogger({ level: "info", sink: (line) => process.stderr.write(`${line}\n`) }),
});
process.stdout.write(`${JSON.stringify({ port: broker.port, listeners: Object.fromEntries(broker.listeners) })}\n`);
process.once("SIGTERM", () => {
  void broker.close().then(() => process.exit(0));
});
