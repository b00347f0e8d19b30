// Shared by the interactive-query tests (runtime-queries, query-server): the topology they query
// (a key-value and a window count store) and a broker that never answers, which keeps an
// application in REBALANCING for as long as a test needs.
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { StreamsBuilder } from "../src/dsl/streams-builder.ts";
import { TimeWindows } from "../src/dsl/windows.ts";
import { silentLogger } from "../src/logger.ts";
import { Serdes } from "../src/serdes.ts";
import type { Topology } from "../src/topology/topology.ts";

/** Counts per key of `input` in the store "counts", and per key and one-minute window in "window-counts". */
export function countsTopology(input: string): Topology {
  const strings = Serdes.string();
  const builder = new StreamsBuilder({ logger: silentLogger });
  const grouped = builder.stream(input, { key: strings, value: strings }).groupByKey();
  grouped.count({ storeName: "counts" });
  grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count({ storeName: "window-counts" });
  return builder.build();
}

export interface SilentBroker {
  readonly bootstrapServers: string;
  /** Cuts the held connections (ending the application's pending requests at once) and stops listening. */
  close(): void;
}

/** A TCP server that accepts connections and never answers. */
export async function startSilentBroker(): Promise<SilentBroker> {
  const held = new Set<Socket>();
  const server: Server = createServer((socket) => held.add(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    bootstrapServers: `127.0.0.1:${port}`,
    close: () => {
      for (const socket of held) socket.destroy();
      server.close();
    },
  };
}
