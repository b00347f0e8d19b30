// Child process of the crash tests: plays a task's runtime against a persistent store until it is
// killed. The changelog topic is a file of lines `offset key value|-` (hex), appended at each
// commit: a line that made it to the file is an acknowledged record. Loop: restore the tail after
// the store's checkpoint, then forever: a batch of random writes (logged), flush, append the batch
// to the changelog file (the acknowledgement), checkpoint the last offset.
// Run: node persistent-crash-child.ts <kv|window|session> <stateDir> <changelogFile> <seed>
import { appendFileSync, existsSync, readFileSync, truncateSync } from "node:fs";
import type { ChangelogRecord, StateStore } from "../src/state/store.ts";
import { persistentKeyValueStore } from "../src/state/persistent-kv-store.ts";
import type { PersistentKeyValueStore } from "../src/state/persistent-kv-store.ts";
import { persistentSessionStore } from "../src/state/persistent-session-store.ts";
import type { PersistentSessionStore } from "../src/state/persistent-session-store.ts";
import { persistentWindowStore } from "../src/state/persistent-window-store.ts";
import type { PersistentWindowStore } from "../src/state/persistent-window-store.ts";
import { stringSerde } from "./store-behaviour.ts";

export type CrashStoreKind = "kv" | "window" | "session";

export const CRASH_RETENTION_MS = 5_000;
export const CRASH_WINDOW_SIZE_MS = 100;

/** Reads the complete lines of a changelog file (a torn last line was never acknowledged). */
export function readChangelogFile(path: string): ChangelogRecord[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  const records: ChangelogRecord[] = [];
  for (const line of complete.split("\n")) {
    if (line === "") continue;
    const [offset, key, value] = line.split(" ");
    if (Number(offset) !== records.length || key === undefined || value === undefined) {
      throw new Error(`bad changelog line ${records.length}: ${line}`);
    }
    records.push({
      key: Buffer.from(key, "hex"),
      value: value === "-" ? null : Buffer.from(value, "hex"),
      timestampMs: 0,
    });
  }
  return records;
}

function changelogLine(offset: number, record: ChangelogRecord): string {
  const value = record.value === null ? "-" : Buffer.from(record.value).toString("hex");
  return `${offset} ${Buffer.from(record.key).toString("hex")} ${value}\n`;
}

export function buildCrashStore(kind: CrashStoreKind): StateStore {
  switch (kind) {
    case "kv":
      return persistentKeyValueStore({ name: "crash-kv", key: stringSerde, value: stringSerde }).build();
    case "window":
      return persistentWindowStore({
        name: "crash-window",
        keySerde: stringSerde,
        valueSerde: stringSerde,
        retentionMs: CRASH_RETENTION_MS,
        windowSizeMs: CRASH_WINDOW_SIZE_MS,
      }).build();
    case "session":
      return persistentSessionStore({
        name: "crash-session",
        keySerde: stringSerde,
        valueSerde: stringSerde,
        retentionMs: CRASH_RETENTION_MS,
      }).build();
  }
}

function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

function run(kind: CrashStoreKind, stateDir: string, changelogPath: string, seed: number): void {
  // Drop a torn last line: it was never acknowledged, and the next append must start a line.
  if (existsSync(changelogPath)) {
    const text = readFileSync(changelogPath, "utf8");
    truncateSync(changelogPath, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1), "utf8"));
  }
  const onTopic = readChangelogFile(changelogPath);
  const pending: ChangelogRecord[] = [];
  const store = buildCrashStore(kind);
  store.init({ applicationId: "crash", partition: 0, stateDir, changelog: (record) => pending.push(record) });
  const from = store.restoredOffset();
  store.restore(from === undefined ? onTopic : onTopic.slice(from + 1));
  let nextOffset = onTopic.length;
  if (nextOffset > 0) store.checkpoint(nextOffset - 1);

  const next = random(seed);
  // Stream time moves forward (with some disorder), so retention expires old windows and sessions.
  let timeMs = nextOffset * 10;
  for (;;) {
    const writes = 1 + Math.floor(next() * 200);
    for (let i = 0; i < writes; i++) {
      const key = `k${Math.floor(next() * 300)}`;
      const value = `v${nextOffset}-${i}`;
      const remove = next() < 0.2;
      timeMs += Math.floor(next() * 20);
      const atMs = Math.max(0, timeMs - Math.floor(next() * 2_000));
      if (kind === "kv") {
        const kv = store as PersistentKeyValueStore<string, string>;
        if (remove) kv.delete(key);
        else kv.put(key, value);
      } else if (kind === "window") {
        const windows = store as PersistentWindowStore<string, string>;
        const startMs = atMs - (atMs % CRASH_WINDOW_SIZE_MS);
        windows.put(key, remove ? undefined : value, startMs);
      } else {
        const sessions = store as PersistentSessionStore<string, string>;
        const session = { key, window: { startMs: Math.max(0, atMs - 50), endMs: atMs } };
        if (remove) sessions.remove(session);
        else sessions.put(session, value);
      }
    }
    store.flush();
    let lines = "";
    for (const record of pending.splice(0)) lines += changelogLine(nextOffset++, record);
    appendFileSync(changelogPath, lines); // acknowledged
    store.checkpoint(nextOffset - 1);
  }
}

const [kind, stateDir, changelogPath, seed] = process.argv.slice(2);
if (
  process.argv[1] === import.meta.filename &&
  kind !== undefined &&
  stateDir !== undefined &&
  changelogPath !== undefined
) {
  run(kind as CrashStoreKind, stateDir, changelogPath, Number(seed ?? 1));
}
