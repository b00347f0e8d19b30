// @samsa/testkit: helpers for integration tests — bounded waiting on conditions and unique names
// and test targets (Samsa as a process or Apache Kafka, see targets.ts), a connection-cutting TCP
// proxy for fault tests (proxy.ts).
import { randomBytes } from "node:crypto";

/** mulberry32: a small seeded PRNG (uniform in [0, 1)), so generated test data is the same every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
}

/**
 * Polls `condition` until it returns a value other than undefined/false, or fails after
 * `timeoutMs`. Tests wait on conditions with this, never with bare sleeps.
 */
export async function waitFor<T>(
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  options: {
    timeoutMs: number;
    intervalMs?: number;
    what: string;
    /** More context for the timeout message (e.g. the output of the processes involved). */
    describe?: () => string;
  },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 20;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const context = options.describe === undefined ? "" : `\n${options.describe()}`;
      throw new WaitTimeoutError(`timed out after ${options.timeoutMs} ms waiting for ${options.what}${context}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A name unique to this run, for topics and groups that tests create (e.g. `orders-3f9a1c2b`). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}
export { WireClient } from "./wire-client.ts";
export { freePort, startTarget, targetFromEnv } from "./targets.ts";
export type { RestartOptions, StartTargetOptions, Target, TargetKind, TargetListener } from "./targets.ts";
export { startProxy } from "./proxy.ts";
export { probeFrom } from "./probe.ts";
export { generateTestCertificates, opensslMissing } from "./certificates.ts";
export type { TestCertificates } from "./certificates.ts";
export type { StartProxyOptions, TcpProxy } from "./proxy.ts";
