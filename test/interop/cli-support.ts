// Shared helpers of the `samsa` CLI integration tests: run the CLI from its sources against the
// target (SAMSA_BROKERS, unless a test passes -b), parse JSON-lines output, and produce records
// with explicit timestamps through an independent client (@platformatic/kafka).
import assert from "node:assert/strict";
import { join } from "node:path";
import { Producer } from "@platformatic/kafka";
import type { MessageToProduce } from "@platformatic/kafka";
import { repoRoot, run } from "./support.ts";
import type { RunResult } from "./support.ts";

export const nodeBin = join(repoRoot, "node_modules/.bin/node");
export const samsaBin = join(repoRoot, "packages/cli/src/bin.ts");

/** Runs `samsa ...args` against `bootstrap` (via $SAMSA_BROKERS); never colours (not a TTY). */
export function samsa(
  bootstrap: string,
  args: readonly string[],
  options: { input?: string | Uint8Array; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return run(nodeBin, [samsaBin, ...args], {
    env: { SAMSA_BROKERS: bootstrap, NO_COLOR: "", FORCE_COLOR: "", ...options.env },
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

/** Like samsa, but the exit code must be `code` (default 0); failures show the output. */
export async function samsaOk(
  bootstrap: string,
  args: readonly string[],
  options: { input?: string | Uint8Array; timeoutMs?: number; code?: number } = {},
): Promise<RunResult> {
  const result = await samsa(bootstrap, args, options);
  assert.equal(
    result.code,
    options.code ?? 0,
    `samsa ${args.join(" ")} exited ${result.code}\n--- stdout\n${result.stdout.slice(0, 4000)}\n--- stderr\n${result.stderr.slice(0, 4000)}`,
  );
  return result;
}

/** Asserts a failure: the exit code and exactly one line on stderr matching `reason`. */
export async function samsaFails(
  bootstrap: string,
  args: readonly string[],
  code: number,
  reason: RegExp,
  options: { input?: string } = {},
): Promise<string> {
  const result = await samsaOk(bootstrap, args, { ...options, code });
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(result.stderr)}`);
  assert.match(lines[0] ?? "", reason);
  return lines[0] ?? "";
}

export function jsonLinesOf<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: { key: string; value: string | null }[];
}

/** Produces messages (explicit partitions and timestamps allowed) with an independent client. */
export async function produceWithClient(bootstrap: string, messages: MessageToProduce[]): Promise<void> {
  const producer = new Producer({
    clientId: "cli-test-producer",
    bootstrapBrokers: [bootstrap],
    idempotent: true,
    autocreateTopics: false,
  });
  try {
    for (let i = 0; i < messages.length; i += 500) await producer.send({ messages: messages.slice(i, i + 500) });
  } finally {
    await producer.close();
  }
}
