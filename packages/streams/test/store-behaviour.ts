// Behaviour suites every state store of a kind must pass, whatever keeps its data (memory or disk):
// key-value, window and session stores. Each suite takes a factory for an initialised store, so the
// same tests run on the in-memory and the persistent implementations. Also: serdes and helpers the
// store tests share.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Serde } from "../src/serdes.ts";
import type {
  ChangelogRecord,
  ChangelogSink,
  KeyValue,
  KeyValueStore,
  SessionStore,
  StoreContext,
  WindowStore,
  Windowed,
} from "../src/state/store.ts";
import { sessionKeyBytes, windowStoreKeyBytes } from "../src/state/window-key-schema.ts";

// ---- serdes and helpers ----

export const stringSerde: Serde<string> = {
  serialize: (value) => Buffer.from(value, "utf8"),
  deserialize: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"),
};

/** Keys and values as raw bytes (copied both ways, so nothing aliases the store's buffers). */
export const bytesSerde: Serde<Uint8Array> = {
  serialize: (value) => value.slice(),
  deserialize: (bytes) => bytes.slice(),
};

export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "utf8"));
}

/** A changelog record with hex strings for bytes, to compare records whatever byte-array class holds them. */
export function hexRecord(record: ChangelogRecord): { key: string; value: string | null; timestampMs: number } {
  return {
    key: Buffer.from(record.key).toString("hex"),
    value: record.value === null ? null : Buffer.from(record.value).toString("hex"),
    timestampMs: record.timestampMs,
  };
}

/** Kafka's Bytes.compareTo: unsigned lexicographic, a prefix first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory, removed when the test file ends. */
export function tempStateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "samsa-store-test-"));
  tempDirs.push(dir);
  return dir;
}

export function storeContext(options: {
  stateDir: string | undefined;
  changelog: ChangelogSink | undefined;
}): StoreContext {
  return { applicationId: "app", partition: 0, stateDir: options.stateDir, changelog: options.changelog };
}

/** An initialised store and the changelog records it logged (empty when created without logging). */
export interface OpenedStore<S> {
  readonly store: S;
  readonly changelog: ChangelogRecord[];
}

/** Creates and initialises a fresh store (logged unless `logged` is false). */
export type StoreFactory<S> = (options?: { logged?: boolean }) => OpenedStore<S>;

function list<T>(items: Iterable<T>): T[] {
  return [...items];
}

function windowed<K>(key: K, startMs: number, endMs: number): Windowed<K> {
  return { key, window: { startMs, endMs } };
}

// ---- key-value stores ----

export function keyValueStoreBehaviour(label: string, create: StoreFactory<KeyValueStore<string, string>>): void {
  describe(`${label}: key-value store behaviour`, () => {
    test("put, get, overwrite, delete (returning the old value), putIfAbsent", () => {
      const { store } = create();
      assert.equal(store.get("a"), undefined);
      store.put("a", "1");
      assert.equal(store.get("a"), "1");
      store.put("a", "2");
      assert.equal(store.get("a"), "2");
      assert.equal(store.putIfAbsent("a", "3"), "2");
      assert.equal(store.get("a"), "2");
      assert.equal(store.putIfAbsent("b", "4"), undefined);
      assert.equal(store.get("b"), "4");
      assert.equal(store.delete("a"), "2");
      assert.equal(store.delete("a"), undefined);
      assert.equal(store.get("a"), undefined);
      store.put("", "empty key");
      assert.equal(store.get(""), "empty key");
      store.put("e", "");
      assert.equal(store.get("e"), "");
      store.close();
    });

    test("range and all in key-byte order, bounds inclusive, either bound optional", () => {
      const { store } = create();
      // Byte order: "" < "a" < "a\0" < "ab" < "b" < "z" < "é" (0xc3 0xa9) < "😀" (0xf0…)
      const keys = ["z", "a", "é", "ab", "😀", "b", "a\u0000", ""];
      for (const key of keys) store.put(key, `v${key}`);
      const sorted = [...keys].sort((x, y) => compareBytes(utf8(x), utf8(y)));
      const keysOf = (entries: Iterable<KeyValue<string, string>>) => list(entries).map((entry) => entry.key);
      assert.deepEqual(keysOf(store.all()), sorted);
      assert.deepEqual(
        list(store.all()).map((entry) => entry.value),
        sorted.map((key) => `v${key}`),
      );
      assert.deepEqual(keysOf(store.range("a", "b")), ["a", "a\u0000", "ab", "b"]);
      assert.deepEqual(keysOf(store.range("aa", "y")), ["ab", "b"]);
      assert.deepEqual(keysOf(store.range(undefined, "a\u0000")), ["", "a", "a\u0000"]);
      assert.deepEqual(keysOf(store.range("z")), ["z", "é", "😀"]);
      assert.deepEqual(keysOf(store.range()), sorted);
      assert.deepEqual(keysOf(store.range("b", "a")), []);
      assert.equal(store.approximateNumEntries(), keys.length);
      store.close();
    });

    test("scans many entries in order, and a scan survives writes made while it runs", () => {
      const { store } = create();
      const count = 1_000;
      const key = (i: number) => `k${String(i).padStart(5, "0")}`;
      for (let i = 0; i < count; i++) store.put(key(i), String(i));
      let seen = 0;
      let previous = "";
      for (const entry of store.all()) {
        assert.ok(entry.key > previous, `${entry.key} after ${previous}`);
        previous = entry.key;
        // Deleting what was read and writing far ahead must not break the iteration.
        store.delete(entry.key);
        seen++;
      }
      assert.equal(seen, count);
      assert.equal(store.approximateNumEntries(), 0);
      store.close();
    });

    test("logs every change as raw bytes: puts, deletes (even of absent keys), not a putIfAbsent that finds a value", () => {
      const { store, changelog } = create();
      store.put("a", "1");
      store.putIfAbsent("a", "2");
      store.putIfAbsent("b", "3");
      store.delete("a");
      store.delete("nothing");
      assert.deepEqual(
        changelog.map((record) => [
          Buffer.from(record.key).toString(),
          record.value && Buffer.from(record.value).toString(),
        ]),
        [
          ["a", "1"],
          ["b", "3"],
          ["a", null],
          ["nothing", null],
        ],
      );
      for (const record of changelog) assert.ok(Number.isSafeInteger(record.timestampMs));
      store.close();
    });

    test("logs nothing when logging is disabled", () => {
      const { store, changelog } = create({ logged: false });
      store.put("a", "1");
      store.delete("a");
      assert.deepEqual(changelog, []);
      store.close();
    });

    test("restore applies puts and deletes in order, without logging them", () => {
      const { store, changelog } = create();
      const record = (key: string, value: string | null): ChangelogRecord => ({
        key: utf8(key),
        value: value === null ? null : utf8(value),
        timestampMs: 0,
      });
      store.restore([record("a", "1"), record("b", "2"), record("a", null), record("c", "3")]);
      store.restore([record("b", "4")]);
      assert.deepEqual(list(store.all()), [
        { key: "b", value: "4" },
        { key: "c", value: "3" },
      ]);
      assert.deepEqual(changelog, []);
      store.close();
    });
  });
}

// ---- window stores ----

export interface WindowStoreFactoryOptions {
  readonly logged?: boolean;
  readonly retentionMs: number;
  readonly windowSizeMs: number;
  readonly retainDuplicates?: boolean;
}

export type WindowStoreFactory = (options: WindowStoreFactoryOptions) => OpenedStore<WindowStore<string, string>>;

function windowEntries(entries: Iterable<KeyValue<Windowed<string>, string>>): [string, number, number, string][] {
  return list(entries).map((entry) => [entry.key.key, entry.key.window.startMs, entry.key.window.endMs, entry.value]);
}

export function windowStoreBehaviour(label: string, create: WindowStoreFactory): void {
  describe(`${label}: window store behaviour`, () => {
    test("put, fetch, overwrite, delete by putting undefined", () => {
      const { store } = create({ retentionMs: 1_000, windowSizeMs: 10 });
      store.put("a", "1", 100);
      store.put("a", "2", 110);
      store.put("b", "3", 100);
      assert.equal(store.fetch("a", 100), "1");
      assert.equal(store.fetch("a", 110), "2");
      assert.equal(store.fetch("a", 120), undefined);
      store.put("a", "1b", 100);
      assert.equal(store.fetch("a", 100), "1b");
      store.put("a", undefined, 100);
      assert.equal(store.fetch("a", 100), undefined);
      assert.equal(store.fetch("b", 100), "3");
      store.close();
    });

    test("fetchRange: one key's windows starting in [from, to], by start; window ends from the size", () => {
      const { store } = create({ retentionMs: 1_000, windowSizeMs: 10 });
      for (const start of [130, 100, 120, 110]) store.put("a", `a${start}`, start);
      store.put("ab", "x", 115);
      store.put("", "y", 115);
      assert.deepEqual(windowEntries(store.fetchRange("a", 105, 130)), [
        ["a", 110, 120, "a110"],
        ["a", 120, 130, "a120"],
        ["a", 130, 140, "a130"],
      ]);
      assert.deepEqual(windowEntries(store.fetchRange("a", 131, 200)), []);
      assert.deepEqual(windowEntries(store.fetchRange("a", 120, 110)), []);
      assert.deepEqual(windowEntries(store.fetchRange("", 0, 200)), [["", 115, 125, "y"]]);
      store.close();
    });

    test("fetchAll and all: every key, by start time, then key bytes", () => {
      const { store } = create({ retentionMs: 1_000, windowSizeMs: 10 });
      store.put("b", "b100", 100);
      store.put("a", "a110", 110);
      store.put("é", "é100", 100);
      store.put("a", "a100", 100);
      store.put("c", "c120", 120);
      assert.deepEqual(windowEntries(store.fetchAll(100, 110)), [
        ["a", 100, 110, "a100"],
        ["b", 100, 110, "b100"],
        ["é", 100, 110, "é100"],
        ["a", 110, 120, "a110"],
      ]);
      assert.deepEqual(windowEntries(store.all()).length, 5);
      assert.deepEqual(windowEntries(store.all())[4], ["c", 120, 130, "c120"]);
      store.close();
    });

    test("retention: windows starting at or before observed stream time − retention vanish; late puts are dropped (and logged, as Kafka does)", () => {
      const { store, changelog } = create({ retentionMs: 100, windowSizeMs: 10 });
      store.put("a", "0", 0);
      store.put("a", "50", 50);
      store.put("b", "100", 100);
      assert.equal(store.fetch("a", 0), undefined); // 0 <= 100 - 100
      assert.equal(store.fetch("a", 50), "50");
      store.put("a", "149", 149);
      assert.equal(store.fetch("a", 50), "50");
      store.put("a", "150", 150);
      assert.equal(store.fetch("a", 50), undefined);
      assert.deepEqual(windowEntries(store.fetchRange("a", 0, 1_000)), [
        ["a", 149, 159, "149"],
        ["a", 150, 160, "150"],
      ]);
      assert.deepEqual(
        windowEntries(store.all()).map((entry) => entry[1]),
        [100, 149, 150],
      );
      const logged = changelog.length;
      store.put("late", "x", 40);
      store.put("late", undefined, 40);
      assert.equal(changelog.length, logged + 2);
      assert.equal(store.fetch("late", 40), undefined);
      assert.equal(windowEntries(store.fetchRange("late", 0, 1_000)).length, 0);
      store.close();
    });

    test("changelog: Kafka's window-store key (key, start, seqnum 0), start as the timestamp, tombstones for deletes", () => {
      const { store, changelog } = create({ retentionMs: 1_000, windowSizeMs: 10 });
      store.put("a", "1", 100);
      store.put("a", undefined, 100);
      assert.deepEqual(changelog.map(hexRecord), [
        hexRecord({ key: windowStoreKeyBytes(utf8("a"), 100, 0), value: utf8("1"), timestampMs: 100 }),
        hexRecord({ key: windowStoreKeyBytes(utf8("a"), 100, 0), value: null, timestampMs: 100 }),
      ]);
      store.close();
    });

    test("duplicates: every put kept in put order with rising seqnums; fetch finds none; deletes are no-ops (but logged)", () => {
      const { store, changelog } = create({ retentionMs: 1_000, windowSizeMs: 10, retainDuplicates: true });
      store.put("a", "1", 100);
      store.put("a", "2", 100);
      store.put("a", "3", 90);
      store.put("a", undefined, 100);
      assert.equal(store.fetch("a", 100), undefined);
      assert.deepEqual(windowEntries(store.fetchRange("a", 0, 200)), [
        ["a", 90, 100, "3"],
        ["a", 100, 110, "1"],
        ["a", 100, 110, "2"],
      ]);
      assert.deepEqual(
        changelog.map((record) => [hexRecord(record).key, record.value === null]),
        [
          [windowStoreKeyBytes(utf8("a"), 100, 1), false],
          [windowStoreKeyBytes(utf8("a"), 100, 2), false],
          [windowStoreKeyBytes(utf8("a"), 90, 3), false],
          [windowStoreKeyBytes(utf8("a"), 100, 4), true],
        ].map(([key, tombstone]) => [Buffer.from(key as Uint8Array).toString("hex"), tombstone]),
      );
      store.close();
    });

    test("restore applies changelog records (puts, deletes, duplicates) without logging them", () => {
      const { store, changelog } = create({ retentionMs: 1_000, windowSizeMs: 10 });
      store.restore([
        { key: windowStoreKeyBytes(utf8("a"), 100, 0), value: utf8("1"), timestampMs: 100 },
        { key: windowStoreKeyBytes(utf8("b"), 100, 0), value: utf8("2"), timestampMs: 100 },
        { key: windowStoreKeyBytes(utf8("a"), 100, 0), value: null, timestampMs: 100 },
        { key: windowStoreKeyBytes(utf8("a"), 110, 0), value: utf8("3"), timestampMs: 110 },
      ]);
      assert.deepEqual(windowEntries(store.all()), [
        ["b", 100, 110, "2"],
        ["a", 110, 120, "3"],
      ]);
      assert.deepEqual(changelog, []);
      store.close();

      const duplicates = create({ retentionMs: 1_000, windowSizeMs: 10, retainDuplicates: true }).store;
      duplicates.restore([
        { key: windowStoreKeyBytes(utf8("a"), 100, 1), value: utf8("1"), timestampMs: 100 },
        { key: windowStoreKeyBytes(utf8("a"), 100, 2), value: utf8("2"), timestampMs: 100 },
      ]);
      duplicates.put("a", "3", 100);
      assert.deepEqual(
        windowEntries(duplicates.fetchRange("a", 100, 100)).map((entry) => entry[3]),
        ["1", "2", "3"],
      );
      duplicates.close();
    });
  });
}

// ---- session stores ----

export type SessionStoreFactory = (options: {
  readonly logged?: boolean;
  readonly retentionMs: number;
}) => OpenedStore<SessionStore<string, string>>;

export function sessionStoreBehaviour(label: string, create: SessionStoreFactory): void {
  describe(`${label}: session store behaviour`, () => {
    test("put, fetchSession, overwrite, remove", () => {
      const { store } = create({ retentionMs: 1_000 });
      store.put(windowed("a", 10, 20), "1");
      store.put(windowed("a", 15, 20), "2");
      assert.equal(store.fetchSession("a", 10, 20), "1");
      assert.equal(store.fetchSession("a", 15, 20), "2");
      assert.equal(store.fetchSession("a", 10, 21), undefined);
      store.put(windowed("a", 10, 20), "1b");
      assert.equal(store.fetchSession("a", 10, 20), "1b");
      store.remove(windowed("a", 10, 20));
      assert.equal(store.fetchSession("a", 10, 20), undefined);
      assert.equal(store.fetchSession("a", 15, 20), "2");
      store.close();
    });

    test("findSessions: ending at or after earliestEnd, starting at or before latestStart; by end, then start descending", () => {
      const { store } = create({ retentionMs: 1_000 });
      store.put(windowed("a", 0, 10), "0-10");
      store.put(windowed("a", 5, 30), "5-30");
      store.put(windowed("a", 20, 30), "20-30");
      store.put(windowed("a", 40, 50), "40-50");
      store.put(windowed("ab", 20, 30), "other key");
      const values = (entries: Iterable<KeyValue<Windowed<string>, string>>) =>
        list(entries).map((entry) => entry.value);
      assert.deepEqual(values(store.findSessions("a", 10, 40)), ["0-10", "20-30", "5-30", "40-50"]);
      assert.deepEqual(values(store.findSessions("a", 11, 39)), ["20-30", "5-30"]);
      assert.deepEqual(values(store.findSessions("a", 30, 10)), ["5-30"]);
      assert.deepEqual(values(store.fetch("a")), ["0-10", "20-30", "5-30", "40-50"]);
      assert.deepEqual(
        list(store.fetch("ab")).map((entry) => [entry.key.key, entry.key.window.startMs, entry.key.window.endMs]),
        [["ab", 20, 30]],
      );
      assert.deepEqual(values(store.fetch("nothing")), []);
      store.close();
    });

    test("retention: sessions ending at or before observed stream time − retention vanish; late puts are dropped (and logged)", () => {
      const { store, changelog } = create({ retentionMs: 100 });
      store.put(windowed("a", 0, 10), "old");
      store.put(windowed("a", 60, 60), "mid");
      store.put(windowed("b", 100, 110), "new");
      assert.equal(store.fetchSession("a", 0, 10), undefined); // 10 <= 110 - 100
      assert.equal(store.fetchSession("a", 60, 60), "mid");
      assert.deepEqual(
        list(store.fetch("a")).map((entry) => entry.value),
        ["mid"],
      );
      const logged = changelog.length;
      store.put(windowed("a", 5, 9), "late");
      assert.equal(changelog.length, logged + 1);
      assert.equal(store.fetchSession("a", 5, 9), undefined);
      store.put(windowed("b", 160, 160), "newer");
      assert.equal(store.fetchSession("a", 60, 60), undefined);
      store.close();
    });

    test("changelog: Kafka's session key (key, end, start), the end as the timestamp, tombstones for removes", () => {
      const { store, changelog } = create({ retentionMs: 1_000 });
      store.put(windowed("a", 10, 20), "1");
      store.remove(windowed("a", 10, 20));
      assert.deepEqual(changelog.map(hexRecord), [
        hexRecord({ key: sessionKeyBytes(utf8("a"), 10, 20), value: utf8("1"), timestampMs: 20 }),
        hexRecord({ key: sessionKeyBytes(utf8("a"), 10, 20), value: null, timestampMs: 20 }),
      ]);
      store.close();
    });

    test("restore applies puts and removes without logging them", () => {
      const { store, changelog } = create({ retentionMs: 1_000 });
      store.restore([
        { key: sessionKeyBytes(utf8("a"), 10, 20), value: utf8("1"), timestampMs: 20 },
        { key: sessionKeyBytes(utf8("b"), 10, 30), value: utf8("2"), timestampMs: 30 },
        { key: sessionKeyBytes(utf8("a"), 10, 20), value: null, timestampMs: 20 },
      ]);
      assert.equal(store.fetchSession("a", 10, 20), undefined);
      assert.equal(store.fetchSession("b", 10, 30), "2");
      assert.deepEqual(changelog, []);
      store.close();
    });
  });
}
