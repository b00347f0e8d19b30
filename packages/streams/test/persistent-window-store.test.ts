// The persistent window store: the shared behaviour suite (run on the in-memory store too), a
// differential property test against the in-memory store across restarts, retention kept across
// restarts and expired windows deleted from disk, duplicates' sequence numbers across restarts,
// tail-only restore after a checkpoint, and crash recovery.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Serdes } from "../src/serdes.ts";
import type { Serde } from "../src/serdes.ts";
import type { ChangelogRecord, KeyValue, StoreContext, WindowStore, Windowed } from "../src/state/store.ts";
import { InMemoryWindowStore } from "../src/state/in-memory-window-store.ts";
import { persistentTimestampedWindowStore, persistentWindowStore } from "../src/state/persistent-window-store.ts";
import type { PersistentWindowStore } from "../src/state/persistent-window-store.ts";
import { persistentStorePaths } from "../src/state/persistent-database.ts";
import { sqlite } from "../src/state/persistent-lock.ts";
import { hexRecord, storeContext, stringSerde, tempStateDir, windowStoreBehaviour } from "./store-behaviour.ts";
import type { WindowStoreFactoryOptions } from "./store-behaviour.ts";
import { commit, crashRecovery, restoreFromChangelog, SimulatedChangelog } from "./persistent-support.ts";
import { CRASH_RETENTION_MS, CRASH_WINDOW_SIZE_MS } from "./persistent-crash-child.ts";

function openPersistent(
  options: WindowStoreFactoryOptions & { name?: string },
  context: Partial<StoreContext> = {},
): PersistentWindowStore<string, string> {
  const store = persistentWindowStore({
    name: options.name ?? "windows",
    keySerde: stringSerde,
    valueSerde: stringSerde,
    retentionMs: options.retentionMs,
    windowSizeMs: options.windowSizeMs,
    ...(options.retainDuplicates === undefined ? {} : { retainDuplicates: options.retainDuplicates }),
  }).build();
  store.init({ ...storeContext({ stateDir: undefined, changelog: undefined }), ...context });
  return store;
}

function openInMemory(options: WindowStoreFactoryOptions): InMemoryWindowStore<string, string> {
  return new InMemoryWindowStore({
    name: "windows",
    keySerde: stringSerde,
    valueSerde: stringSerde,
    retentionMs: options.retentionMs,
    windowSizeMs: options.windowSizeMs,
    ...(options.retainDuplicates === undefined ? {} : { retainDuplicates: options.retainDuplicates }),
  });
}

function entries(items: Iterable<KeyValue<Windowed<string>, string>>): [string, number, number, string][] {
  return [...items].map((item) => [item.key.key, item.key.window.startMs, item.key.window.endMs, item.value]);
}

windowStoreBehaviour("in-memory", (options) => {
  const changelog: ChangelogRecord[] = [];
  const store = openInMemory(options);
  store.init(
    storeContext({ stateDir: undefined, changelog: options.logged === false ? undefined : (r) => changelog.push(r) }),
  );
  return { store, changelog };
});

for (const [label, stateDir] of [
  ["persistent, on disk", tempStateDir],
  ["persistent, no state directory", () => undefined],
] as const) {
  windowStoreBehaviour(label, (options) => {
    const changelog: ChangelogRecord[] = [];
    const store = openPersistent(options, {
      stateDir: stateDir(),
      changelog: options.logged === false ? undefined : (record) => changelog.push(record),
    });
    return { store, changelog };
  });
}

describe("persistent window store: builder", () => {
  test("logged with Kafka's windowed changelog configs; validates retention against the window size", () => {
    const builder = persistentWindowStore({
      name: "w",
      keySerde: stringSerde,
      valueSerde: stringSerde,
      retentionMs: 1_000,
      windowSizeMs: 100,
    }).withLoggingEnabled({ "segment.ms": "600000" });
    assert.equal(builder.logged, true);
    assert.deepEqual(builder.changelogConfigs, {
      "message.timestamp.type": "CreateTime",
      "cleanup.policy": "compact,delete",
      "retention.ms": String(1_000 + 86_400_000),
      "segment.ms": "600000",
    });
    assert.deepEqual(builder.withLoggingDisabled().changelogConfigs, {});
    assert.equal(builder.build().retentionMs, 1_000);
    assert.throws(
      () =>
        persistentWindowStore({
          name: "w",
          keySerde: stringSerde,
          valueSerde: stringSerde,
          retentionMs: 10,
          windowSizeMs: 100,
        }),
      RangeError,
    );
  });
});

describe("persistent window store: same results as the in-memory store (property, with restarts)", () => {
  const key = fc.constantFrom("a", "b", "ab", "", "é");
  const time = fc.integer({ min: 0, max: 400 });
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("put" as const),
      key,
      value: fc.option(fc.string({ maxLength: 3 }), { nil: undefined }),
      time,
    }),
    fc.record({ kind: fc.constant("fetch" as const), key, time }),
    fc.record({ kind: fc.constant("fetchRange" as const), key, from: time, to: time }),
    fc.record({ kind: fc.constant("fetchAll" as const), from: time, to: time }),
    fc.record({ kind: fc.constant("restart" as const) }),
  );

  for (const retainDuplicates of [false, true]) {
    test(`retainDuplicates: ${retainDuplicates}`, () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 50 }), fc.integer({ min: 10, max: 200 }), (ops, retentionMs) => {
          const options = { retentionMs, windowSizeMs: 10, retainDuplicates };
          const stateDir = tempStateDir();
          const changelog = new SimulatedChangelog();
          const expectedLog: ChangelogRecord[] = [];
          const open = () => {
            const store = openPersistent(options, { stateDir, changelog: changelog.sink });
            restoreFromChangelog(store, changelog.records);
            return store;
          };
          let store = open();
          const model = openInMemory(options);
          model.init(storeContext({ stateDir: undefined, changelog: (record) => expectedLog.push(record) }));
          try {
            for (const step of ops) {
              switch (step.kind) {
                case "put":
                  store.put(step.key, step.value, step.time);
                  model.put(step.key, step.value, step.time);
                  break;
                case "fetch":
                  assert.equal(store.fetch(step.key, step.time), model.fetch(step.key, step.time));
                  break;
                case "fetchRange":
                  assert.deepEqual(
                    entries(store.fetchRange(step.key, step.from, step.to)),
                    entries(model.fetchRange(step.key, step.from, step.to)),
                  );
                  assert.deepEqual(
                    entries(store.backwardFetchRange(step.key, step.from, step.to)),
                    entries(model.backwardFetchRange(step.key, step.from, step.to)),
                  );
                  break;
                case "fetchAll":
                  assert.deepEqual(
                    entries(store.fetchAll(step.from, step.to)),
                    entries(model.fetchAll(step.from, step.to)),
                  );
                  assert.deepEqual(
                    entries(store.backwardFetchAll(step.from, step.to)),
                    entries(model.backwardFetchAll(step.from, step.to)),
                  );
                  break;
                case "restart":
                  commit(store, changelog);
                  store.close();
                  store = open();
                  break;
              }
            }
            assert.deepEqual(entries(store.all()), entries(model.all()));
            assert.equal(store.observedStreamTime, model.observedStreamTime);
            changelog.acknowledge();
            // Same changelog bytes (seqnums included: they continue across restarts).
            assert.deepEqual(changelog.tail(undefined).map(hexRecord), expectedLog.map(hexRecord));
          } finally {
            store.close();
          }
        }),
        { numRuns: 40 },
      );
    });
  }
});

function storedWindowRows(stateDir: string, name: string): number {
  const db = new (sqlite().DatabaseSync)(persistentStorePaths(stateDir, name).database);
  try {
    const row = db.prepare("SELECT count(*) AS n FROM windows").get();
    return Number(row?.["n"]);
  } finally {
    db.close();
  }
}

describe("persistent window store: retention and restarts", () => {
  test("observed stream time survives a restart, so expired windows stay expired; expired rows are deleted from disk", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const options = { retentionMs: 1_000, windowSizeMs: 100 };
    const first = openPersistent(options, { stateDir, changelog: changelog.sink });
    for (let start = 0; start < 1_000; start += 100) first.put("k", `v${start}`, start);
    commit(first, changelog);
    first.close();
    assert.equal(storedWindowRows(stateDir, "windows"), 10);

    const second = openPersistent(options, { stateDir, changelog: changelog.sink });
    assert.equal(second.observedStreamTime, 900);
    second.put("k", "v2500", 2_500); // stream time 2500: every window before 1501 has expired
    assert.deepEqual(entries(second.all()), [["k", 2_500, 2_600, "v2500"]]);
    assert.equal(second.fetch("k", 900), undefined);
    commit(second, changelog);
    second.close();
    assert.equal(storedWindowRows(stateDir, "windows"), 1);
  });

  test("after a checkpoint a restart restores only the tail, and ends where a full restore would", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const options = { retentionMs: 500, windowSizeMs: 100, retainDuplicates: true };
    const first = openPersistent(options, { stateDir, changelog: changelog.sink });
    for (let i = 0; i < 50; i++) first.put(`k${i % 3}`, `v${i}`, i * 20);
    commit(first, changelog);
    for (let i = 50; i < 60; i++) first.put(`k${i % 3}`, `v${i}`, i * 20);
    changelog.acknowledge();
    first.close();

    const second = openPersistent(options, { stateDir, changelog: changelog.sink });
    assert.equal(second.restoredOffset(), 49);
    assert.deepEqual(restoreFromChangelog(second, changelog.records), { restored: 10 });
    const full = openInMemory(options);
    full.init(storeContext({ stateDir: undefined, changelog: undefined }));
    full.restore(changelog.tail(undefined));
    assert.deepEqual(entries(second.all()), entries(full.all()));
    // New duplicates continue the sequence: none overwrites a restored one.
    second.put("k2", "new", 1_180);
    assert.deepEqual(
      entries(second.fetchRange("k2", 1_180, 1_180)).map((entry) => entry[3]),
      ["v59", "new"],
    );
    second.close();
  });
});

describe("persistent window store: crash recovery", () => {
  test("killed mid-writes (SIGKILL), the store reopens with a checkpoint no newer than the changelog and restores to it", async () => {
    const options = { retentionMs: CRASH_RETENTION_MS, windowSizeMs: CRASH_WINDOW_SIZE_MS };
    await crashRecovery({
      kind: "window",
      read: (store) => entries((store as WindowStore<string, string>).all()),
      expected: (records) => {
        const model = openInMemory(options);
        model.init(storeContext({ stateDir: undefined, changelog: undefined }));
        model.restore(records);
        return entries(model.all());
      },
    });
  });
});

describe("persistent timestamped window store", () => {
  test("values carry their timestamp; the changelog holds the plain value stamped with it, and restores back", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const open = () => {
      const store = persistentTimestampedWindowStore({
        name: "timestamped",
        keySerde: stringSerde,
        valueSerde: stringSerde,
        retentionMs: 1_000,
        windowSizeMs: 100,
      }).build();
      store.init(storeContext({ stateDir, changelog: changelog.sink }));
      return store;
    };
    const first = open();
    first.put("a", { value: "1", timestampMs: 150 }, 100);
    first.put("a", undefined, 200);
    changelog.acknowledge();
    assert.deepEqual(
      changelog.records.map(({ record }) => [
        record.value === null ? null : Buffer.from(record.value).toString(),
        record.timestampMs,
      ]),
      [
        ["1", 150],
        [null, 200],
      ],
    );
    first.close();
    const second = open();
    restoreFromChangelog(second, changelog.records);
    assert.deepEqual(second.fetch("a", 100), { value: "1", timestampMs: 150 });
    second.close();
  });
});

describe("persistent window store: writes held in memory", () => {
  test("reads see them, restarts and scans see them once checkpointed, and values read earlier never change", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const counts = persistentTimestampedWindowStore({
      name: "counts",
      retentionMs: 1_000,
      windowSizeMs: 100,
      keySerde: Serdes.string(),
      valueSerde: Serdes.long(),
    }).build();
    counts.init(storeContext({ stateDir, changelog: changelog.sink }));
    counts.put("k", { value: 1, timestampMs: 5 }, 0);
    const first = counts.fetch("k", 0);
    counts.put("k", { value: 2, timestampMs: 6 }, 0);
    counts.put("gone", { value: 1, timestampMs: 5 }, 0);
    counts.put("gone", undefined, 0);
    assert.deepEqual(first, { value: 1, timestampMs: 5 });
    assert.deepEqual(counts.fetch("k", 0), { value: 2, timestampMs: 6 });
    assert.equal(counts.fetch("gone", 0), undefined);
    assert.deepEqual(
      [...counts.all()].map(({ key, value }) => [key.key, key.window.startMs, value.value]),
      [["k", 0, 2]],
    );
    commit(counts, changelog);
    counts.close();
    assert.equal(storedWindowRows(stateDir, "counts"), 1);

    const views: Serde<Uint8Array> = { serialize: (v) => v, deserialize: (b) => b };
    const bytes = persistentWindowStore({
      name: "bytes",
      retentionMs: 1_000,
      windowSizeMs: 100,
      keySerde: stringSerde,
      valueSerde: views,
    }).build();
    bytes.init(storeContext({ stateDir: undefined, changelog: undefined }));
    const input = new Uint8Array([1, 2, 3]);
    bytes.put("k", input, 0);
    input[0] = 9;
    const read = bytes.fetch("k", 0);
    bytes.put("k", new Uint8Array([4, 5, 6]), 0);
    assert.deepEqual([...(read ?? [])], [1, 2, 3]);
    assert.deepEqual([...(bytes.fetch("k", 0) ?? [])], [4, 5, 6]);
    bytes.close();
  });

  test("a scan sees windows put while it runs, from its next chunk of rows on", () => {
    const store = openPersistent({ retentionMs: 10_000, windowSizeMs: 10 });
    for (let start = 0; start < 300; start++) store.put("a", `a${start}`, start);
    const seen: string[] = [];
    for (const { key, value } of store.all()) {
      if (seen.length === 0) store.put("b", "late", 299);
      seen.push(`${key.key}@${key.window.startMs}=${value}`);
    }
    assert.equal(seen.length, 301);
    assert.equal(seen.at(-1), "b@299=late");
    store.close();
  });

  test("an unlogged store commits what it holds at close", () => {
    const stateDir = tempStateDir();
    const store = openPersistent({ retentionMs: 1_000, windowSizeMs: 10 }, { stateDir, changelog: undefined });
    store.put("a", "1", 0);
    store.put("b", "2", 0);
    store.close();
    assert.equal(storedWindowRows(stateDir, "windows"), 2);
    const reopened = openPersistent({ retentionMs: 1_000, windowSizeMs: 10 }, { stateDir, changelog: undefined });
    assert.equal(reopened.fetch("b", 0), "2");
    reopened.close();
  });
});
