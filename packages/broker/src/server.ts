// The network edge: a node:net server speaking Kafka's framing. Each connection splits its byte
// stream into frames, dispatches every request at once (pipelining) and writes the responses in
// request order. Limits: frame size, connections (total and per IP), idle time, time to receive a
// whole request (slow-loris), and bytes/requests in flight per connection (reading pauses).
// Malformed input closes that connection with a log line; nothing a client sends can crash the
// process.
import { createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { TLSSocket } from "node:tls";
import {
  ApiKey,
  DecodeError,
  decodeRequestFrameHeader,
  encodeResponseFrame,
  ErrorCode,
  FrameSizeError,
  FrameSplitter,
  isSupportedVersion,
} from "@samsa/protocol";
import type { ApiKey as ApiKeyType } from "@samsa/protocol";
import type { BrokerState, RequestContext } from "./context.ts";
import { noResponse } from "./context.ts";
import { handlerFor, supportedVersions } from "./handlers/index.ts";
import { canonicalIp } from "./ip.ts";
import { quotaIdentity } from "./quotas/client-quotas.ts";
import type { RegisteredApi } from "./handlers/index.ts";
import type { ScramCredentialStore } from "./security/credential-store.ts";
import type { ListenerConfig } from "./security/listeners.ts";
import type { OAuthBearerValidator } from "./security/oauthbearer.ts";
import { certificateDistinguishedName } from "./security/distinguished-name.ts";
import { subjectToDistinguishedName, userPrincipal } from "./security/principal.ts";
import type { KafkaPrincipal } from "./security/principal.ts";
import { ConnectionSecurity } from "./security/session.ts";

interface Pending {
  /** Resolves to the encoded response, or undefined when there is none (acks=0). */
  readonly response: Promise<Uint8Array[] | undefined>;
  done: boolean;
  chunks: Uint8Array[] | undefined;
  readonly requestBytes: number;
  /** A quota's throttle time: reading stops for this long once the response is sent (0: none). */
  throttleMs: number;
}

let connectionCounter = 0;

class Connection {
  readonly id: string;
  private readonly socket: Socket;
  private readonly broker: BrokerState;
  private readonly splitter: FrameSplitter;
  private readonly pending: Pending[] = [];
  private inflightBytes = 0;
  private paused = false;
  /** Muted by a quota's throttle time: no reading until the timer ends it. */
  private muteTimer: NodeJS.Timeout | undefined;
  private mutedUntilMs = 0;
  private flushScheduled = false;
  private closed = false;
  private lastActivityMs: number;
  /** When the first byte of a still-incomplete request arrived. */
  private partialSinceMs: number | undefined;
  readonly remoteAddress: string;
  /** The listener, principal and SASL state of this connection. */
  readonly security: ConnectionSecurity;

  constructor(socket: Socket, broker: BrokerState, security: ConnectionSecurity) {
    this.id = `c${++connectionCounter}`;
    this.socket = socket;
    this.broker = broker;
    this.security = security;
    this.remoteAddress = socket.remoteAddress ?? "unknown";
    this.splitter = new FrameSplitter({ frameBytesMax: broker.config.socketRequestBytesMax });
    this.lastActivityMs = Date.now();
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => this.close(`socket error: ${error.message}`, "debug"));
    socket.on("close", () => this.close("peer closed", "debug"));
    socket.on("drain", () => this.maybeResume());
  }

  /** Called periodically: closes idle connections, requests that arrive too slowly and unfinished logins. */
  sweep(nowMs: number): void {
    const { connectionIdleMs, requestReadTimeoutMs, saslLoginTimeoutMs } = this.broker.config;
    // A SASL login (or re-authentication) holds a connection slot unauthenticated: it must finish
    // promptly (a failed one closes by itself after its delayed answer).
    if (this.security.loginOverdue(nowMs, saslLoginTimeoutMs)) {
      this.close(`SASL login not completed within ${saslLoginTimeoutMs} ms`, "warn");
      return;
    }
    // While reading is paused the broker, not the client, is holding the rest of the request back.
    if (!this.paused && this.partialSinceMs !== undefined && nowMs - this.partialSinceMs > requestReadTimeoutMs) {
      this.close(`request not received whole within ${requestReadTimeoutMs} ms`, "warn");
    } else if (this.pending.length === 0 && nowMs - this.lastActivityMs > connectionIdleMs) {
      this.close(`idle for more than ${connectionIdleMs} ms`, "info");
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastActivityMs = Date.now();
    this.broker.metrics.bytesIn += chunk.length;
    let frames: Uint8Array[];
    try {
      frames = this.splitter.push(chunk);
    } catch (error) {
      if (error instanceof FrameSizeError) {
        this.broker.metrics.protocolErrors++;
        const why = error.size < 0 ? "is negative" : "exceeds socket.request.max.bytes";
        this.close(`request size ${error.size} ${why}`, "warn");
        return;
      }
      throw error;
    }
    // The read timeout runs from the first byte of the request still incomplete: a chunk that
    // completed a request and began the next one restarts it.
    if (this.splitter.bufferedBytes === 0) this.partialSinceMs = undefined;
    else if (frames.length > 0 || this.partialSinceMs === undefined) this.partialSinceMs = Date.now();
    // Until a SASL login completes, requests are bounded by sasl.server.max.receive.size.
    const saslMax = this.security.requestBytesMax(this.broker.config.saslReceiveBytesMax);
    if (
      saslMax !== undefined &&
      (this.splitter.bufferedBytes > saslMax + 4 || frames.some((f) => f.length > saslMax))
    ) {
      this.broker.metrics.protocolErrors++;
      this.close("request before authentication exceeds sasl.server.max.receive.size", "warn");
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.dispatch(frame);
    }
    this.maybePause();
  }

  private dispatch(frame: Uint8Array): void {
    if (this.security.expectsRawToken) {
      // SASL after SaslHandshake v0: a bare token, answered with a bare token, in order.
      const response = this.security.rawToken(frame, this.broker.closing);
      const raw: Pending = { response, done: false, chunks: undefined, requestBytes: frame.length, throttleMs: 0 };
      this.inflightBytes += frame.length;
      this.pending.push(raw);
      void response.then((chunks) => {
        raw.done = true;
        raw.chunks = chunks;
        this.scheduleFlush();
      });
      return;
    }
    let decoded;
    try {
      decoded = decodeRequestFrameHeader(frame);
    } catch (error) {
      this.protocolError(error);
      return;
    }
    const { header } = decoded;
    const apiKey = header.requestApiKey;
    const apiVersion = header.requestApiVersion;
    const admission = this.security.admit(apiKey);
    if (!admission.admit) {
      this.close(admission.reason, "warn");
      return;
    }
    const handler = handlerFor(apiKey);
    const startedNs = process.hrtime.bigint();
    let response: Promise<Uint8Array[] | undefined>;
    const throttle = { ms: 0 };
    if (handler === undefined || !decoded.supported || !isServed(handler, apiVersion)) {
      if (apiKey === ApiKey.ApiVersions) {
        // Answer an ApiVersions version we do not know in v0 format, so the client retries with one we do.
        response = Promise.resolve(
          encodeResponseFrame({
            apiKey: ApiKey.ApiVersions,
            apiVersion: 0,
            correlationId: header.correlationId,
            body: { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [supportedVersions(ApiKey.ApiVersions)] },
          }),
        );
      } else {
        this.broker.metrics.protocolErrors++;
        this.close(`unsupported API ${apiKey} version ${apiVersion}`, "warn");
        return;
      }
    } else {
      let body;
      try {
        body = handler.decode(decoded.reader, apiVersion);
      } catch (error) {
        this.protocolError(error);
        return;
      }
      const context: RequestContext = {
        broker: this.broker,
        header,
        apiVersion,
        connectionId: this.id,
        clientAddress: this.remoteAddress,
        security: this.security,
        throttle: (ms) => {
          throttle.ms = Math.max(throttle.ms, ms);
        },
      };
      const running = handler.run(context, body);
      // The request's own event-loop time: decoding and the handler's synchronous start, where
      // Samsa does a request's work (appends, validation); awaited I/O is not the client's cost.
      const syncNs = Number(process.hrtime.bigint() - startedNs);
      response = running.then((result) => {
        if (result === noResponse) return undefined;
        const requestThrottleMs = this.recordRequestTime(context, syncNs);
        let answer = result;
        if (requestThrottleMs > 0) {
          // request_percentage (quotas/client-quotas.ts): the larger throttle time is answered.
          throttle.ms = Math.max(throttle.ms, requestThrottleMs);
          if (typeof result === "object" && result !== null && "throttleTimeMs" in result) {
            answer = { ...result, throttleTimeMs: Math.max(Number(result.throttleTimeMs), requestThrottleMs) };
          }
        }
        return encodeResponseFrame({
          apiKey: apiKey as ApiKeyType,
          apiVersion,
          correlationId: header.correlationId,
          body: answer as never,
        });
      });
    }
    const pending: Pending = { response, done: false, chunks: undefined, requestBytes: frame.length, throttleMs: 0 };
    this.inflightBytes += frame.length;
    this.pending.push(pending);
    response.then(
      (chunks) => {
        pending.done = true;
        pending.chunks = chunks;
        pending.throttleMs = throttle.ms;
        const durationSec = Number(process.hrtime.bigint() - startedNs) / 1e9;
        this.broker.metrics.recordRequest(apiKey, durationSec, false);
        this.scheduleFlush();
      },
      (error: unknown) => {
        this.broker.metrics.recordRequest(apiKey, 0, true);
        this.broker.logger.log("error", "request failed", {
          connection: this.id,
          client: this.remoteAddress,
          apiKey,
          apiVersion,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
        this.close("a request failed unexpectedly", "error");
      },
    );
  }

  /**
   * Records a request's processing time against the client's request_percentage quota and returns
   * the throttle time. As in Kafka, logins in progress and inter-broker APIs (WriteTxnMarkers) are
   * exempt.
   */
  private recordRequestTime(context: RequestContext, nanos: number): number {
    const quotas = this.broker.quotas;
    if (!quotas.enabled("request_percentage") || !this.security.authenticated) return 0;
    if (context.header.requestApiKey === ApiKey.WriteTxnMarkers) return 0;
    return quotas.recordRequestTime(quotaIdentity(context), nanos);
  }

  /** Writes the responses that are ready, in request order. */
  /**
   * Responses that complete in the same turn of the event loop are written together, with one
   * corked write (one syscall), rather than one write each.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed) return;
    let wrote = false;
    let throttleMs = 0;
    while (this.pending.length > 0 && this.pending[0]?.done === true) {
      const head = this.pending.shift();
      if (head === undefined) break;
      this.inflightBytes -= head.requestBytes;
      throttleMs = Math.max(throttleMs, head.throttleMs);
      if (head.chunks === undefined) continue;
      if (!wrote) this.socket.cork();
      wrote = true;
      for (const chunk of head.chunks) {
        this.broker.metrics.bytesOut += chunk.length;
        this.socket.write(chunk);
      }
    }
    if (wrote) this.socket.uncork();
    const closeReason = this.security.closeAfterResponse;
    if (closeReason !== undefined && this.pending.length === 0) {
      // The failed login's answer goes out first; then the connection ends.
      this.socket.end(() => this.close(closeReason, "info"));
      return;
    }
    this.lastActivityMs = Date.now();
    // KIP-219: the throttled response goes out first, then the connection is muted.
    if (throttleMs > 0) this.mute(throttleMs);
    this.maybeResume();
  }

  /** Stops reading from the connection for `ms` (extending a mute already running, never shortening it). */
  private mute(ms: number): void {
    const until = Date.now() + ms;
    if (this.muteTimer !== undefined && until <= this.mutedUntilMs) return;
    this.mutedUntilMs = until;
    clearTimeout(this.muteTimer);
    this.muteTimer = setTimeout(() => {
      this.muteTimer = undefined;
      this.maybeResume();
    }, ms);
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private overLimits(): boolean {
    const { connectionInflightBytesMax, connectionInflightRequestsMax } = this.broker.config;
    return (
      this.pending.length >= connectionInflightRequestsMax ||
      this.inflightBytes + this.socket.writableLength >= connectionInflightBytesMax
    );
  }

  private maybePause(): void {
    if (!this.paused && this.overLimits()) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (this.paused && !this.closed && this.muteTimer === undefined && !this.overLimits()) {
      this.paused = false;
      // Time spent paused does not count against a half-read request.
      if (this.partialSinceMs !== undefined) this.partialSinceMs = Date.now();
      this.socket.resume();
    }
  }

  private protocolError(error: unknown): void {
    this.broker.metrics.protocolErrors++;
    const reason =
      error instanceof DecodeError ? error.message : error instanceof Error ? error.message : String(error);
    this.close(`malformed request: ${reason}`, "warn");
  }

  close(reason: string, level: "debug" | "info" | "warn" | "error"): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.muteTimer);
    this.broker.logger.log(level, "connection closed", { connection: this.id, client: this.remoteAddress, reason });
    this.socket.destroy();
    this.onClose?.();
  }

  onClose: (() => void) | undefined;
}

function isServed(handler: RegisteredApi, version: number): boolean {
  return (
    version >= handler.versions.min && version <= handler.versions.max && isSupportedVersion(handler.apiKey, version)
  );
}

export interface NetworkServer {
  readonly address: { host: string; port: number };
  readonly connectionCount: number;
  close(): Promise<void>;
}

/**
 * The principal a verified TLS client certificate stands for: User:<subject DN> (RFC 2253, as
 * Java prints it), or on an SSL listener what ssl.principal.mapping.rules make of the DN — or why
 * no rule applies.
 */
function certificatePrincipal(
  socket: Socket,
  listener: ListenerConfig,
): { principal: KafkaPrincipal } | { refusal: string } | undefined {
  if (listener.tls === undefined || listener.tls.clientAuth === "none") return undefined;
  const tlsSocket = socket as TLSSocket;
  const certificate = tlsSocket.getPeerX509Certificate();
  if (certificate === undefined || !tlsSocket.authorized) return undefined;
  let dn: string;
  try {
    dn = certificateDistinguishedName(certificate.raw);
  } catch {
    dn = subjectToDistinguishedName(certificate.subject); // not expected for a certificate TLS verified
  }
  const mapper = listener.tls.principalMapper;
  if (mapper === undefined) return { principal: userPrincipal(dn) };
  const mapped = mapper.map(dn);
  return mapped.ok ? { principal: userPrincipal(mapped.name) } : { refusal: mapped.reason };
}

/** Listens on `host:port` (one listener: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL) and serves Kafka requests until closed. */
export async function startNetworkServer(options: {
  host: string;
  port: number;
  broker: BrokerState;
  listener: ListenerConfig;
  credentials: ScramCredentialStore;
  /** Validates OAUTHBEARER tokens instead of Kafka's unsecured validator. */
  oauthBearerValidator?: OAuthBearerValidator | undefined;
}): Promise<NetworkServer> {
  const { broker, listener } = options;
  const connections = new Set<Connection>();
  const perIp = new Map<string, number>();
  /** Connections over their address's connection_creation_rate, waiting out the throttle time. */
  const held = new Set<Socket>();
  const tls = listener.tls;
  const server: Server =
    tls === undefined
      ? createServer({ noDelay: true, pauseOnConnect: false })
      : createTlsServer({
          noDelay: true,
          ...(tls.key === undefined ? {} : { key: tls.key }),
          ...(tls.cert === undefined ? {} : { cert: tls.cert }),
          ...(tls.pfx === undefined ? {} : { pfx: tls.pfx }),
          ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
          ...(tls.ca === undefined ? {} : { ca: tls.ca }),
          requestCert: tls.clientAuth !== "none",
          rejectUnauthorized: tls.clientAuth === "required",
          handshakeTimeout: broker.config.requestReadTimeoutMs,
        });
  if (tls !== undefined) {
    server.on("tlsClientError", (error: Error, socket: Socket) =>
      broker.logger.log("info", "TLS handshake failed", { client: socket.remoteAddress, reason: error.message }),
    );
  }
  server.on(tls === undefined ? "connection" : "secureConnection", (socket: Socket) => {
    if (tls?.clientAuth === "requested") {
      // A certificate that is presented must verify; none at all leaves the connection anonymous.
      const tlsSocket = socket as TLSSocket;
      if (tlsSocket.getPeerX509Certificate() !== undefined && !tlsSocket.authorized) {
        broker.logger.log("info", "TLS client certificate refused", {
          client: socket.remoteAddress,
          reason: String(tlsSocket.authorizationError),
        });
        socket.destroy();
        return;
      }
    }
    const ip = socket.remoteAddress ?? "unknown";
    // connection_creation_rate for this address (KIP-612): over it, the connection is held
    // unread and closed after the throttle time, as Kafka does, and not counted.
    const throttleMs = broker.quotas.recordConnection(ip);
    if (throttleMs > 0) {
      broker.metrics.connectionsRejected++;
      broker.logger.log("info", "connection throttled: connection_creation_rate", { client: ip, throttleMs });
      socket.pause();
      held.add(socket);
      const timer = setTimeout(() => {
        held.delete(socket);
        socket.destroy();
      }, throttleMs);
      timer.unref();
      socket.once("close", () => {
        clearTimeout(timer);
        held.delete(socket);
      });
      return;
    }
    const count = perIp.get(ip) ?? 0;
    const perIpMax = broker.config.connectionsPerIpOverrides.get(canonicalIp(ip)) ?? broker.config.connectionsPerIpMax;
    if (connections.size >= broker.config.connectionsMax || count >= perIpMax) {
      broker.metrics.connectionsRejected++;
      broker.logger.log("warn", "connection refused: too many connections", { client: ip });
      socket.destroy();
      return;
    }
    perIp.set(ip, count + 1);
    broker.metrics.connectionsTotal++;
    broker.metrics.connectionsOpen++;
    const certificate = certificatePrincipal(socket, listener);
    const principal = certificate !== undefined && "principal" in certificate ? certificate.principal : undefined;
    if (principal !== undefined) {
      broker.logger.log("debug", "TLS client authenticated", { client: ip, principal: `User:${principal.name}` });
    }
    const security = new ConnectionSecurity({
      listener,
      logger: broker.logger,
      credentials: options.credentials,
      peer: ip,
      failedAuthenticationDelayMs: broker.config.failedAuthenticationDelayMs,
      ...(principal === undefined ? {} : { certificatePrincipal: principal }),
      oauthBearerValidator: options.oauthBearerValidator,
      loginTimeoutMs: broker.config.saslLoginTimeoutMs,
    });
    const connection = new Connection(socket, broker, security);
    connection.onClose = () => {
      connections.delete(connection);
      broker.metrics.connectionsOpen--;
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left <= 0) perIp.delete(ip);
      else perIp.set(ip, left);
    };
    connections.add(connection);
    if (certificate !== undefined && "refusal" in certificate) {
      // As Kafka: the TLS handshake completes; the first request then closes the connection unanswered.
      const reason = `client certificate not mapped to a principal: ${certificate.refusal}`;
      socket.prependOnceListener("data", () => connection.close(reason, "warn"));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Only after listening: a failure to listen is the caller's to report, not a logged server error.
  server.on("error", (error) => broker.logger.log("error", "server error", { error: error.message }));
  const sweepMs = Math.max(
    50,
    Math.min(
      1000,
      broker.config.requestReadTimeoutMs / 4,
      broker.config.connectionIdleMs / 4,
      broker.config.saslLoginTimeoutMs / 4,
    ),
  );
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const c of [...connections]) c.sweep(now);
  }, sweepMs);
  sweeper.unref();
  const address = server.address() as AddressInfo;
  return {
    address: { host: address.address, port: address.port },
    get connectionCount() {
      return connections.size;
    },
    async close() {
      clearInterval(sweeper);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of [...connections]) c.close("broker shutting down", "debug");
      for (const socket of [...held]) socket.destroy();
      await closed;
    },
  };
}
