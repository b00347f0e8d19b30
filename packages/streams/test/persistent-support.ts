// Shared by the persistent store tests: a simulated changelog topic (offsets, acknowledged records,
// a tail read from an offset) and the runtime's restore step (restoredOffset → restore the tail).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { ChangelogRecord, ChangelogSink, StateStore } from "../src/state/store.ts";
import { buildCrashStore, readChangelogFile } from "./persistent-crash-child.ts";
import type { CrashStoreKind } from "./persistent-crash-child.ts";
import { storeContext, tempStateDir } from "./store-behaviour.ts";

export interface OffsetRecord {
  readonly offset: number;
  readonly record: ChangelogRecord;
}

/**
 * A changelog topic partition as the runtime sees it: records a store logs are pending until the
 * runtime's producer has them acknowledged (`acknowledge`), and only acknowledged ones are on the topic.
 */
export class SimulatedChangelog {
  readonly records: OffsetRecord[] = [];
  private pending: ChangelogRecord[] = [];
  readonly sink: ChangelogSink = (record) => {
    this.pending.push({
      key: record.key.slice(),
      value: record.value?.slice() ?? null,
      timestampMs: record.timestampMs,
    });
  };

  /** Appends the pending records; returns the offset of the last record on the topic (-1: none). */
  acknowledge(): number {
    for (const record of this.pending) this.records.push({ offset: this.records.length, record });
    this.pending = [];
    return this.lastOffset();
  }

  /** Drops what was logged but never acknowledged (the producer died with it). */
  losePending(): void {
    this.pending = [];
  }

  lastOffset(): number {
    return this.records.length - 1;
  }

  /** The records after `offset` (all of them when undefined). */
  tail(offset: number | undefined): ChangelogRecord[] {
    return this.records.filter((entry) => offset === undefined || entry.offset > offset).map((entry) => entry.record);
  }
}

/** What the runtime does for a store before processing: restore the changelog after its checkpoint, in batches. */
export function restoreFromChangelog(
  store: StateStore,
  records: readonly OffsetRecord[],
  batchRecords = 100,
): { restored: number } {
  const from = store.restoredOffset();
  const tail = records.filter((entry) => from === undefined || entry.offset > from).map((entry) => entry.record);
  for (let i = 0; i < tail.length; i += batchRecords) store.restore(tail.slice(i, i + batchRecords));
  const last = records[records.length - 1];
  if (last !== undefined) store.checkpoint(last.offset);
  return { restored: tail.length };
}

/** One commit as the runtime does it: flush, wait for the changelog acknowledgements, checkpoint. */
export function commit(store: StateStore, changelog: SimulatedChangelog): void {
  store.flush();
  const offset = changelog.acknowledge();
  if (offset >= 0) store.checkpoint(offset);
}

/**
 * Runs the crash child (persistent-crash-child.ts) against one state directory and changelog file,
 * kills it (SIGKILL) at a random moment, and checks that the store opens, its checkpoint is at most
 * the changelog's last offset, and restoring the tail gives `expected` (the state the whole
 * changelog describes, computed by an independent implementation). Repeats on the same directory,
 * so each child also recovers from the previous kill.
 */
export async function crashRecovery(options: {
  readonly kind: CrashStoreKind;
  readonly read: (store: StateStore) => unknown;
  readonly expected: (records: readonly ChangelogRecord[]) => unknown;
  readonly rounds?: number;
}): Promise<void> {
  const stateDir = tempStateDir();
  const changelogPath = join(tempStateDir(), "changelog.txt");
  const childPath = join(import.meta.dirname, "persistent-crash-child.ts");
  for (let round = 0; round < (options.rounds ?? 4); round++) {
    const child = spawn(process.execPath, [childPath, options.kind, stateDir, changelogPath, String(round + 1)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    const killAfterMs = 500 + Math.floor(Math.random() * 700);
    const exitedEarly = await Promise.race([
      exited.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), killAfterMs)),
    ]);
    assert.equal(exitedEarly, false, `the child exited before it was killed: ${stderr}`);
    child.kill("SIGKILL");
    await exited;

    const records = readChangelogFile(changelogPath);
    assert.ok(records.length > 0, `round ${round}: the child wrote nothing (${stderr})`);
    const store = buildCrashStore(options.kind);
    store.init(storeContext({ stateDir, changelog: () => {} }));
    const checkpoint = store.restoredOffset();
    if (checkpoint !== undefined) {
      assert.ok(checkpoint <= records.length - 1, `checkpoint ${checkpoint} beyond the changelog's end`);
    }
    store.restore(checkpoint === undefined ? records : records.slice(checkpoint + 1));
    assert.deepEqual(options.read(store), options.expected(records), `round ${round}: the restored state differs`);
    store.close();
  }
}
