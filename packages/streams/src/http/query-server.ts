// A small HTTP front for interactive queries (no framework): JSON answers for keys and windows of
// the application's stores, routed by KafkaStreams.queryMetadataForKey — a key whose partition
// runs on another instance is forwarded to that instance's application server and its answer
// relayed, with a hop header so a request is forwarded at most once (instances that disagree
// about the assignment answer 503 rather than bounce it around). 503 with Retry-After while the
// group rebalances; 404 for unknown stores and keys; bounded URLs, bodies, answers and waits.
//
//   GET /metadata                                    instances, their stores and partitions
//   GET /stores/:store/keys/:key                     { store, key, value, partition, servedBy }
//   GET /stores/:store/keys/:key/windows?from=&to=   { store, key, windows: [{ startMs, endMs, value }], ... }
import { createServer, request as httpRequest } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { KafkaStreams } from "../runtime/kafka-streams.ts";
import { StreamsError, errorMessage } from "../runtime/errors.ts";
import { InvalidStateStoreError } from "../runtime/queries.ts";
import type { HostInfo, KeyQueryMetadata } from "../runtime/queries.ts";
import type { Serde } from "../serdes.ts";

/** How the server reads a store: keys' serde (placement, and parsing by default) and JSON for values. */
export interface QueryStoreOptions<K = unknown, V = unknown> {
  /** The store's key serde: places keys as the application's producers do. */
  readonly key: Serde<K>;
  /** The key from its URL text (default: the key serde reading the text's UTF-8 bytes). */
  readonly parseKey?: (text: string) => K;
  /** A value as JSON (default: as is; bytes as base64, bigints as strings). */
  readonly toJson?: (value: V) => unknown;
}

export interface QueryServerOptions {
  readonly streams: KafkaStreams;
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. It should be the port of the application's `applicationServer`. */
  readonly port: number;
  /** The stores served, by name. */
  readonly stores: Readonly<Record<string, QueryStoreOptions>>;
  /** How long a forwarded request may take (default 5000 ms; then 504). */
  readonly forwardTimeoutMs?: number;
  /** Longest request URL accepted (default 8192 bytes; longer: 414). */
  readonly maxUrlBytes?: number;
  /** Largest answer relayed from another instance or built here (default 16 MiB). */
  readonly maxResponseBytes?: number;
  /** Most windows one answer lists (default 10000). */
  readonly maxWindows?: number;
}

export interface QueryServer {
  readonly port: number;
  /** `http://host:port` of the server. */
  readonly url: string;
  close(): Promise<void>;
}

/** The header that marks a forwarded request (its value: hops so far). */
export const queryHopHeader = "x-samsa-query-hops";

/** A request the server answers with an error status (its JSON body carries `error` and `code`). */
export class QueryHttpError extends StreamsError {
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(status === 503 ? "INVALID_STATE_STORE" : "ILLEGAL_STATE", message, {
      cause: options.cause,
      retriable: status === 503 || status === 504,
    });
    this.name = "QueryHttpError";
    this.status = status;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly retryAfterSeconds?: number;
}

function jsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (typeof value === "bigint") return value.toString();
  return value;
}

function json(status: number, body: unknown): Answer {
  return { status, body: JSON.stringify(body, (_key, value: unknown) => jsonValue(value)) };
}

function sameHost(a: HostInfo, b: HostInfo): boolean {
  return a.port === b.port && a.host.toLowerCase() === b.host.toLowerCase();
}

export async function startQueryServer(options: QueryServerOptions): Promise<QueryServer> {
  const maxUrlBytes = options.maxUrlBytes ?? 8192;
  const maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  const forwardTimeoutMs = options.forwardTimeoutMs ?? 5000;
  const maxWindows = options.maxWindows ?? 10_000;
  const { streams } = options;
  const self = streams.applicationServerInfo;

  const server: Server = createServer({ maxHeaderSize: 16 * 1024 }, (request, response) => {
    void handle(request)
      .catch((error: unknown) => answerFor(error))
      .then((answer) => send(response, answer));
  });

  async function handle(request: IncomingMessage): Promise<Answer> {
    const rawUrl = request.url ?? "/";
    if (Buffer.byteLength(rawUrl) > maxUrlBytes)
      throw new QueryHttpError(414, `the URL is longer than ${maxUrlBytes} bytes`);
    if (request.method !== "GET") throw new QueryHttpError(405, "only GET is served");
    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > 0 || request.headers["transfer-encoding"] !== undefined)
      throw new QueryHttpError(413, "requests carry no body");
    const url = new URL(rawUrl, "http://query.invalid");
    const parts = url.pathname.split("/").slice(1);
    if (parts.length === 1 && parts[0] === "metadata") return metadata();
    if (parts[0] === "stores" && parts[2] === "keys" && parts[1] !== undefined && parts[3] !== undefined) {
      const storeName = decodePart(parts[1]);
      const keyText = decodePart(parts[3]);
      if (parts.length === 4) return keyQuery(request, rawUrl, storeName, keyText, undefined);
      if (parts.length === 5 && parts[4] === "windows")
        return keyQuery(request, rawUrl, storeName, keyText, {
          fromMs: timeParameter(url, "from", 0),
          toMs: timeParameter(url, "to", Number.MAX_SAFE_INTEGER),
        });
    }
    throw new QueryHttpError(404, `no route for ${url.pathname}`);
  }

  function metadata(): Answer {
    return json(200, {
      state: streams.state,
      applicationServer: self === undefined ? null : `${self.host}:${self.port}`,
      instances: streams.metadataForAllStreamsClients(),
      localThreads: streams.metadataForLocalThreads(),
    });
  }

  async function keyQuery(
    request: IncomingMessage,
    rawUrl: string,
    storeName: string,
    keyText: string,
    windows: { fromMs: number; toMs: number } | undefined,
  ): Promise<Answer> {
    const store = options.stores[storeName];
    if (store === undefined) throw new QueryHttpError(404, `store ${storeName} is not served here`);
    let key: unknown;
    try {
      key =
        store.parseKey === undefined
          ? store.key.deserialize(Buffer.from(keyText, "utf8"), { topic: "", headers: [] })
          : store.parseKey(keyText);
    } catch (error) {
      throw new QueryHttpError(400, `cannot read key ${JSON.stringify(keyText)}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    if (streams.state === "REBALANCING")
      throw new QueryHttpError(503, "the application is rebalancing", { retryAfterSeconds: 1 });
    const where: KeyQueryMetadata = streams.queryMetadataForKey(storeName, key, store.key);
    if (where.partition < 0)
      throw new QueryHttpError(503, "where keys live is not known yet", { retryAfterSeconds: 1 });
    if (self === undefined || !sameHost(where.activeHost, self)) {
      const hops = Number(request.headers[queryHopHeader] ?? 0);
      if (hops >= 1 || self === undefined)
        throw new QueryHttpError(
          503,
          `the key's partition ${where.partition} is not here (instances disagree; retry)`,
          {
            retryAfterSeconds: 1,
          },
        );
      return forward(where.activeHost, rawUrl, hops + 1);
    }
    const toJson = store.toJson ?? ((value: unknown): unknown => value);
    const servedBy = `${self.host}:${self.port}`;
    if (windows === undefined) {
      const view = streams.store<unknown, unknown, "keyValue">({
        storeName,
        type: "keyValue",
        partition: where.partition,
      });
      const value = view.get(key);
      if (value === undefined)
        throw new QueryHttpError(404, `key ${JSON.stringify(keyText)} is not in store ${storeName}`);
      return json(200, { store: storeName, key: keyText, value: toJson(value), partition: where.partition, servedBy });
    }
    const view = streams.store<unknown, unknown, "window">({ storeName, type: "window", partition: where.partition });
    const found: { startMs: number; endMs: number; value: unknown }[] = [];
    for (const entry of view.fetchRange(key, windows.fromMs, windows.toMs)) {
      if (found.length >= maxWindows) break;
      found.push({ startMs: entry.key.window.startMs, endMs: entry.key.window.endMs, value: toJson(entry.value) });
    }
    return json(200, { store: storeName, key: keyText, windows: found, partition: where.partition, servedBy });
  }

  function forward(target: HostInfo, rawUrl: string, hops: number): Promise<Answer> {
    return new Promise((resolve) => {
      const outgoing = httpRequest(
        {
          host: target.host.replace(/^\[(.*)\]$/, "$1"),
          port: target.port,
          path: rawUrl,
          method: "GET",
          headers: { [queryHopHeader]: String(hops), accept: "application/json" },
          timeout: forwardTimeoutMs,
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          let size = 0;
          incoming.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxResponseBytes) {
              incoming.destroy();
              resolve(json(502, { error: `the answer of ${target.host}:${target.port} is too large`, code: 502 }));
              return;
            }
            chunks.push(chunk);
          });
          incoming.on("end", () => {
            const retryAfter = Number(incoming.headers["retry-after"]);
            resolve({
              status: incoming.statusCode ?? 502,
              body: Buffer.concat(chunks).toString("utf8"),
              ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
            });
          });
          incoming.on("error", (error) => resolve(answerFor(new QueryHttpError(502, errorMessage(error)))));
        },
      );
      outgoing.on("timeout", () => {
        outgoing.destroy();
        resolve(
          answerFor(new QueryHttpError(504, `${target.host}:${target.port} did not answer in ${forwardTimeoutMs} ms`)),
        );
      });
      // The instance may be leaving: a rebalance will move its tasks, so this is worth a retry.
      outgoing.on("error", (error) =>
        resolve(
          answerFor(
            new QueryHttpError(503, `cannot reach ${target.host}:${target.port}: ${errorMessage(error)}`, {
              retryAfterSeconds: 1,
            }),
          ),
        ),
      );
      outgoing.end();
    });
  }

  function answerFor(error: unknown): Answer {
    if (error instanceof QueryHttpError)
      return {
        ...json(error.status, { error: error.message, code: error.status }),
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      };
    if (error instanceof InvalidStateStoreError) {
      if (error.reason === "UNKNOWN_STORE") return json(404, { error: error.message, code: error.reason });
      if (error.reason === "WRONG_TYPE" || error.reason === "INVALID_PARTITION")
        return json(400, { error: error.message, code: error.reason });
      return { ...json(503, { error: error.message, code: error.reason }), retryAfterSeconds: 1 };
    }
    return json(500, { error: errorMessage(error), code: 500 });
  }

  function send(response: ServerResponse, answer: Answer): void {
    const body =
      Buffer.byteLength(answer.body) > maxResponseBytes
        ? JSON.stringify({ error: "answer too large", code: 500 })
        : answer.body;
    const headers: Record<string, string | number> = {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
    };
    if (answer.retryAfterSeconds !== undefined) headers["retry-after"] = answer.retryAfterSeconds;
    response.writeHead(body === answer.body ? answer.status : 500, headers);
    response.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    port: address.port,
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new QueryHttpError(400, `bad URL encoding in ${JSON.stringify(part)}`);
  }
}

function timeParameter(url: URL, name: string, fallback: number): number {
  const text = url.searchParams.get(name);
  if (text === null || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new QueryHttpError(400, `${name} must be a non-negative integer (ms), got ${JSON.stringify(text)}`);
  return value;
}
