// A one-shot probe of a broker from a chosen local address: connect, send ApiVersions v0, and
// report whether it was answered or the connection closed first. Tests of per-address limits
// (connection_creation_rate, connections per IP) connect from other loopback addresses
// (127.0.0.0/8 is all loopback on Linux) so they do not disturb the rest of a test run.
import { connect } from "node:net";
import { ApiKey, encodeRequestFrame } from "@samsa/protocol";

export async function probeFrom(
  bootstrap: string,
  localAddress: string,
  timeoutMs = 15_000,
): Promise<"answered" | "closed"> {
  const at = bootstrap.lastIndexOf(":");
  const host = bootstrap.slice(0, at);
  const port = Number(bootstrap.slice(at + 1));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, localAddress });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer and no close within ${timeoutMs} ms (from ${localAddress})`));
    }, timeoutMs);
    const done = (outcome: "answered" | "closed"): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    socket.once("connect", () =>
      socket.write(encodeRequestFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId: 1, body: {} })),
    );
    socket.once("data", () => done("answered"));
    socket.once("close", () => done("closed"));
    socket.once("error", () => undefined); // a reset ends in "close"
  });
}
