// A minimal Kafka wire client for protocol-level tests: sends any request at any version with the
// protocol package's encoders and decodes the response. Not a Kafka client library — no retries,
// no metadata handling — just exact control over what goes over the wire.
import { connect } from "node:net";
import type { Socket } from "node:net";
import { decodeResponseFrame, encodeRequestFrame, FrameSplitter, peekCorrelationId } from "@samsa/protocol";
import type { ApiKey, Input, RequestByKey, ResponseByKey } from "@samsa/protocol";

interface Waiter {
  readonly resolve: (frame: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

export class WireClient {
  private readonly socket: Socket;
  private readonly splitter = new FrameSplitter({ frameBytesMax: 256 * 1024 * 1024 });
  private readonly waiters = new Map<number, Waiter>();
  private nextCorrelationId = 1;
  private closedError: Error | undefined;
  readonly clientId: string;

  private constructor(socket: Socket, clientId: string) {
    this.socket = socket;
    this.clientId = clientId;
    socket.on("data", (chunk: Buffer) => {
      for (const frame of this.splitter.push(chunk)) {
        const id = peekCorrelationId(frame);
        const waiter = this.waiters.get(id);
        this.waiters.delete(id);
        waiter?.resolve(frame);
      }
    });
    const fail = (error: Error): void => {
      this.closedError ??= error;
      for (const w of this.waiters.values()) w.reject(error);
      this.waiters.clear();
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed")));
  }

  static connect(bootstrap: string, options: { clientId?: string; timeoutMs?: number } = {}): Promise<WireClient> {
    const at = bootstrap.lastIndexOf(":");
    const host = bootstrap.slice(0, at);
    const port = Number(bootstrap.slice(at + 1));
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${bootstrap} timed out`));
      }, options.timeoutMs ?? 5000);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new WireClient(socket, options.clientId ?? "samsa-wire-client"));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Sends a request and waits (bounded) for its response. */
  async send<K extends ApiKey>(
    apiKey: K,
    apiVersion: number,
    body: Input<RequestByKey[K]>,
    options: { timeoutMs?: number } = {},
  ): Promise<ResponseByKey[K]> {
    const frame = await this.sendRaw(
      encodeRequestFrame({ apiKey, apiVersion, correlationId: this.nextCorrelationId, clientId: this.clientId, body }),
      this.nextCorrelationId++,
      options.timeoutMs ?? 10_000,
    );
    return decodeResponseFrame(apiKey, apiVersion, frame).body;
  }

  /** Sends a request without waiting for a response (Produce with acks=0). */
  sendOneWay<K extends ApiKey>(apiKey: K, apiVersion: number, body: Input<RequestByKey[K]>): void {
    this.socket.write(
      encodeRequestFrame({
        apiKey,
        apiVersion,
        correlationId: this.nextCorrelationId++,
        clientId: this.clientId,
        body,
      }),
    );
  }

  /** Writes raw bytes (hostile-input tests). */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends pre-encoded request bytes (with size prefix) and waits for the response frame. */
  sendRaw(bytes: Uint8Array, correlationId: number, timeoutMs: number): Promise<Uint8Array> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(correlationId);
        reject(new Error(`no response to correlation id ${correlationId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(correlationId, {
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.socket.write(bytes);
    });
  }

  /** Resolves when the server closes the connection (or after `timeoutMs`, rejecting). */
  waitForClose(timeoutMs: number): Promise<void> {
    if (this.socket.destroyed || this.socket.readableEnded) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
      this.socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
