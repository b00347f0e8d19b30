// A TCP proxy for fault tests: forwards every connection to a broker and can cut all live
// connections on demand (a reset on both sides), as a flaky network or a dying NAT would. It can
// also hold the broker's answers back for a while, so that a cut always finds requests that the
// broker has handled but whose answers the client never gets (what idempotence is there for).
import { connect, createServer } from "node:net";
import type { Server, Socket } from "node:net";

export interface TcpProxy {
  /** `127.0.0.1:PORT`: where clients connect (and what a broker should advertise). */
  readonly address: string;
  readonly port: number;
  /** Where connections go (`host:port`); connections accepted while unset are closed at once. */
  upstream: string | undefined;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections open right now (both sides connected or connecting). */
  readonly live: number;
  /** Connections cut by cutConnections() so far. */
  readonly cut: number;
  /** How long bytes from the upstream are held before they go on to the client (0: not at all). */
  latencyMs: number;
  /**
   * Resets every live connection on both sides now (bytes in flight are lost) and returns how many
   * there were. New connections are forwarded as before.
   */
  cutConnections(): number;
  /** Stops listening and resets every live connection. */
  close(): Promise<void>;
}

export interface StartProxyOptions {
  /** `host:port` to forward to; may be set later through `proxy.upstream`. */
  readonly upstream?: string;
  /** Port to listen on (default: a free one); the proxy always listens on 127.0.0.1. */
  readonly port?: number;
  /** Bound on connecting to the upstream (default 5 s); the client side is closed when it passes. */
  readonly connectTimeoutMs?: number;
  /** Bound on connections open at once (default 1,000); more are refused. */
  readonly connectionsMax?: number;
  /** Initial `latencyMs` (default 0). */
  readonly latencyMs?: number;
}

/** Bytes held back per connection (latency) before reading from the upstream pauses. */
const heldBytesMax = 16 * 1024 * 1024;

interface Pair {
  readonly client: Socket;
  readonly server: Socket;
}

function parseAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`expected host:port, got ${JSON.stringify(address)}`);
  }
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, "$1"), port };
}

function checkLatency(ms: number): number {
  if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) throw new Error(`latencyMs must be 0..60000, got ${ms}`);
  return ms;
}

function reset(socket: Socket): void {
  // resetAndDestroy sends an RST where the socket is connected; a connecting one is just destroyed.
  if (socket.destroyed) return;
  if (socket.readyState === "open" || socket.readyState === "readOnly" || socket.readyState === "writeOnly") {
    socket.resetAndDestroy();
  } else {
    socket.destroy();
  }
}

export async function startProxy(options: StartProxyOptions = {}): Promise<TcpProxy> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const connectionsMax = options.connectionsMax ?? 1000;
  if (options.upstream !== undefined) parseAddress(options.upstream);
  let upstream = options.upstream;
  const pairs = new Set<Pair>();
  let accepted = 0;
  let cut = 0;
  let latencyMs = checkLatency(options.latencyMs ?? 0);

  const server: Server = createServer({ noDelay: true }, (client) => {
    accepted++;
    const target = upstream;
    if (target === undefined || pairs.size >= connectionsMax) {
      reset(client);
      return;
    }
    const { host, port } = parseAddress(target);
    const upstreamSocket = connect({ host, port, noDelay: true });
    const pair: Pair = { client, server: upstreamSocket };
    pairs.add(pair);
    const timer = setTimeout(() => end(), connectTimeoutMs);
    let ended = false;
    // Either side failing or closing ends both: a half-open proxied connection helps nobody.
    function end(): void {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      pairs.delete(pair);
      reset(client);
      reset(upstreamSocket);
    }
    upstreamSocket.once("connect", () => {
      clearTimeout(timer);
      client.pipe(upstreamSocket);
      // Held chunks leave in order, each not before its due time (a later chunk is never due earlier).
      const heldChunks: { chunk: Buffer; dueMs: number }[] = [];
      let heldBytes = 0;
      let release: NodeJS.Timeout | undefined;
      const releaseDue = (): void => {
        release = undefined;
        const now = Date.now();
        while (heldChunks.length > 0 && (heldChunks[0]?.dueMs ?? 0) <= now) {
          const next = heldChunks.shift();
          if (next === undefined || ended) return;
          heldBytes -= next.chunk.length;
          client.write(next.chunk);
        }
        if (heldBytes <= heldBytesMax && client.writableLength <= heldBytesMax) upstreamSocket.resume();
        const head = heldChunks[0];
        if (head !== undefined) release = setTimeout(releaseDue, Math.max(0, head.dueMs - now));
      };
      upstreamSocket.on("data", (chunk: Buffer) => {
        if (latencyMs === 0 && heldChunks.length === 0) {
          if (!client.write(chunk)) upstreamSocket.pause();
          return;
        }
        const dueMs = Math.max(Date.now() + latencyMs, heldChunks.at(-1)?.dueMs ?? 0);
        heldChunks.push({ chunk, dueMs });
        heldBytes += chunk.length;
        if (heldBytes > heldBytesMax) upstreamSocket.pause();
        release ??= setTimeout(releaseDue, Math.max(0, dueMs - Date.now()));
      });
      upstreamSocket.once("close", () => clearTimeout(release));
      client.on("drain", () => {
        if (heldBytes <= heldBytesMax) upstreamSocket.resume();
      });
    });
    for (const socket of [client, upstreamSocket]) {
      socket.on("error", end);
      socket.once("close", end);
      socket.once("end", end);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: options.port ?? 0, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", () => undefined); // after listening, errors belong to single connections
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the proxy has no address");
  const port = address.port;

  const resetAll = (): number => {
    const count = pairs.size;
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      reset(pair.client);
      reset(pair.server);
    }
    return count;
  };

  return {
    address: `127.0.0.1:${port}`,
    port,
    get upstream() {
      return upstream;
    },
    set upstream(value: string | undefined) {
      if (value !== undefined) parseAddress(value);
      upstream = value;
    },
    get accepted() {
      return accepted;
    },
    get live() {
      return pairs.size;
    },
    get cut() {
      return cut;
    },
    get latencyMs() {
      return latencyMs;
    },
    set latencyMs(value: number) {
      latencyMs = checkLatency(value);
    },
    cutConnections() {
      const count = resetAll();
      cut += count;
      return count;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        resetAll();
      });
    },
  };
}
