// Embedded mode: an in-process Samsa broker for development and tests, started in one line. The
// application talks to it over the Kafka protocol like to any cluster, so the same code runs
// unchanged against a remote Samsa or Apache Kafka.
import { silentLogger, startBroker } from "@samsa/broker";

export interface EmbeddedBrokerOptions {
  /** Keep data in this directory (survives restarts); default: in memory only. */
  readonly dataDir?: string;
  /** `host:port`; default 127.0.0.1 on a free port. */
  readonly listen?: string;
  /** Broker settings by Kafka name, e.g. `{"num.partitions": "3"}`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Print the broker's logs (default: silent). */
  readonly logs?: boolean;
}

export interface EmbeddedBroker {
  /** `host:port` to give as bootstrapServers. */
  readonly bootstrapServers: string;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const broker = await startBroker({
    listen: options.listen ?? "127.0.0.1:0",
    ...(options.dataDir === undefined ? { inMemory: true } : { dataDir: options.dataDir }),
    // A new group does not wait for more members (Kafka's own embedded test clusters do the same).
    settings: { "group.initial.rebalance.delay.ms": "0", ...options.settings },
    ...(options.logs === true ? {} : { logger: silentLogger }),
  });
  return { bootstrapServers: broker.bootstrap, close: () => broker.close() };
}
