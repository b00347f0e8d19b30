// The persistent key-value store: the shared behaviour suite (on disk, without a state directory,
// and on the in-memory store for comparison), byte ordering against a sorted model (property),
// checkpoints and restarts that restore only the changelog tail, crash recovery (a child process
// killed mid-writes) and locking.
import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { ChangelogRecord, KeyValue } from "../src/state/store.ts";
import { inMemoryKeyValueStore } from "../src/state/in-memory-kv-store.ts";
import { persistentKeyValueStore } from "../src/state/persistent-kv-store.ts";
import type { PersistentKeyValueStore } from "../src/state/persistent-kv-store.ts";
import { persistentStorePaths } from "../src/state/persistent-database.ts";
import { StateDirectoryLockedError } from "../src/state/persistent-lock.ts";
import { readCheckpointFile, writeCheckpointFile } from "../src/state/checkpoint.ts";
import { valueAndTimestampSerde } from "../src/state/window-key-schema.ts";
import {
  bytesSerde,
  compareBytes,
  keyValueStoreBehaviour,
  storeContext,
  stringSerde,
  tempStateDir,
} from "./store-behaviour.ts";
import { commit, crashRecovery, restoreFromChangelog, SimulatedChangelog } from "./persistent-support.ts";

function openStringStore(
  stateDir: string | undefined,
  changelog: SimulatedChangelog | undefined,
  name = "counts",
): PersistentKeyValueStore<string, string> {
  const store = persistentKeyValueStore({ name, key: stringSerde, value: stringSerde }).build();
  store.init(storeContext({ stateDir, changelog: changelog?.sink }));
  return store;
}

function contents<K, V>(entries: Iterable<KeyValue<K, V>>): [K, V][] {
  return [...entries].map((entry) => [entry.key, entry.value]);
}

keyValueStoreBehaviour("in-memory", (options) => {
  const changelog: ChangelogRecord[] = [];
  const store = inMemoryKeyValueStore({ name: "behaviour", key: stringSerde, value: stringSerde }).build();
  store.init(
    storeContext({ stateDir: undefined, changelog: options?.logged === false ? undefined : (r) => changelog.push(r) }),
  );
  return { store, changelog };
});

for (const [label, stateDir] of [
  ["persistent, on disk", tempStateDir],
  ["persistent, no state directory", () => undefined],
] as const) {
  keyValueStoreBehaviour(label, (options) => {
    const changelog: ChangelogRecord[] = [];
    const store = persistentKeyValueStore({ name: "behaviour", key: stringSerde, value: stringSerde }).build();
    store.init(
      storeContext({
        stateDir: stateDir(),
        changelog: options?.logged === false ? undefined : (record) => changelog.push(record),
      }),
    );
    return { store, changelog };
  });
}

describe("persistent key-value store: builder", () => {
  test("logged by default with a compacted changelog; config overrides; logging can be disabled", () => {
    const builder = persistentKeyValueStore({ name: "s", key: stringSerde, value: stringSerde });
    assert.equal(builder.name, "s");
    assert.equal(builder.logged, true);
    assert.deepEqual(builder.changelogConfigs, { "cleanup.policy": "compact" });
    const tuned = persistentKeyValueStore({
      name: "s",
      key: stringSerde,
      value: stringSerde,
      logging: { configs: { "min.compaction.lag.ms": "100" } },
    });
    assert.deepEqual(tuned.changelogConfigs, { "cleanup.policy": "compact", "min.compaction.lag.ms": "100" });
    const unlogged = persistentKeyValueStore({ name: "s", key: stringSerde, value: stringSerde, logging: false });
    assert.equal(unlogged.logged, false);
    assert.deepEqual(unlogged.changelogConfigs, {});
    const store = builder.build();
    assert.equal(store.persistent, true);
    assert.notEqual(builder.build(), store);
  });

  test("a store name that is not a safe file name is refused", () => {
    const store = persistentKeyValueStore({ name: "../escape", key: stringSerde, value: stringSerde }).build();
    assert.throws(() => store.init(storeContext({ stateDir: tempStateDir(), changelog: undefined })), RangeError);
  });
});

describe("persistent key-value store: order by key bytes (property, against a sorted model)", () => {
  const byte = fc.constantFrom(0x00, 0x01, 0x61, 0x7f, 0x80, 0xfe, 0xff);
  const key = fc.array(byte, { maxLength: 3 }).map((bytes) => new Uint8Array(bytes));
  const value = fc.array(byte, { maxLength: 2 }).map((bytes) => new Uint8Array(bytes));
  const op = fc.oneof(
    fc.record({ kind: fc.constant("put" as const), key, value }),
    fc.record({ kind: fc.constant("putIfAbsent" as const), key, value }),
    fc.record({ kind: fc.constant("delete" as const), key }),
    fc.record({
      kind: fc.constant("range" as const),
      from: fc.option(key, { nil: undefined }),
      to: fc.option(key, { nil: undefined }),
    }),
    fc.record({ kind: fc.constant("restart" as const) }),
  );

  test("get, range and all agree with a sorted map after any sequence of writes and restarts", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const stateDir = tempStateDir();
        const changelog = new SimulatedChangelog();
        const open = () => {
          const store = persistentKeyValueStore({ name: "prop", key: bytesSerde, value: bytesSerde }).build();
          store.init(storeContext({ stateDir, changelog: changelog.sink }));
          restoreFromChangelog(store, changelog.records);
          return store;
        };
        let store = open();
        const model = new Map<string, { key: Uint8Array; value: Uint8Array }>();
        const id = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
        const sortedModel = () => [...model.values()].sort((a, b) => compareBytes(a.key, b.key));
        try {
          for (const step of ops) {
            switch (step.kind) {
              case "put":
                store.put(step.key, step.value);
                model.set(id(step.key), { key: step.key, value: step.value });
                break;
              case "putIfAbsent": {
                const previous = store.putIfAbsent(step.key, step.value);
                assert.deepEqual(previous, model.get(id(step.key))?.value);
                if (previous === undefined) model.set(id(step.key), { key: step.key, value: step.value });
                break;
              }
              case "delete":
                assert.deepEqual(store.delete(step.key), model.get(id(step.key))?.value);
                model.delete(id(step.key));
                break;
              case "range": {
                const expected = sortedModel().filter(
                  (entry) =>
                    (step.from === undefined || compareBytes(entry.key, step.from) >= 0) &&
                    (step.to === undefined || compareBytes(entry.key, step.to) <= 0),
                );
                assert.deepEqual(
                  contents(store.range(step.from, step.to)),
                  expected.map((entry) => [entry.key, entry.value]),
                );
                break;
              }
              case "restart":
                commit(store, changelog);
                store.close();
                store = open();
                break;
            }
          }
          assert.deepEqual(
            contents(store.all()),
            sortedModel().map((entry) => [entry.key, entry.value]),
          );
          for (const entry of model.values()) assert.deepEqual(store.get(entry.key), entry.value);
          assert.equal(store.approximateNumEntries(), model.size);
        } finally {
          store.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("persistent key-value store: checkpoints and restarts", () => {
  test("after a checkpoint, a restart keeps the local state and restores only the changelog tail", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const first = openStringStore(stateDir, changelog);
    assert.equal(first.restoredOffset(), undefined);
    for (let i = 0; i < 100; i++) first.put(`k${i}`, `v${i}`);
    commit(first, changelog);
    assert.equal(first.restoredOffset(), 99);
    assert.equal(readCheckpointFile(persistentStorePaths(stateDir, "counts").checkpoint), 99);
    // 20 more changes reach the changelog, but the task dies before checkpointing them.
    for (let i = 0; i < 10; i++) first.put(`k${i}`, `changed${i}`);
    for (let i = 90; i < 100; i++) first.delete(`k${i}`);
    changelog.acknowledge();
    first.close();

    const second = openStringStore(stateDir, changelog);
    assert.equal(second.restoredOffset(), 99);
    // Local state is exactly the checkpointed state: the later changes were not committed locally.
    assert.equal(second.get("k0"), "v0");
    assert.equal(second.get("k95"), "v95");
    assert.deepEqual(restoreFromChangelog(second, changelog.records), { restored: 20 });
    assert.equal(second.get("k0"), "changed0");
    assert.equal(second.get("k95"), undefined);
    assert.equal(second.approximateNumEntries(), 90);
    assert.equal(second.restoredOffset(), 119);
    second.close();
  });

  test("writes logged but never acknowledged vanish with the crash, and are not in the local files", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const first = openStringStore(stateDir, changelog);
    first.put("a", "1");
    commit(first, changelog);
    first.put("a", "2");
    first.put("b", "3");
    first.flush(); // the runtime flushes, then the producer dies before acknowledging
    changelog.losePending();
    first.close();

    const second = openStringStore(stateDir, changelog);
    restoreFromChangelog(second, changelog.records);
    assert.deepEqual(contents(second.all()), [["a", "1"]]);
    second.close();
  });

  test("local state ahead of the checkpoint file (a crash between the two) is repaired by re-applying the tail", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const first = openStringStore(stateDir, changelog);
    for (let i = 0; i < 30; i++) first.put(`k${i % 7}`, `v${i}`);
    first.delete("k3");
    commit(first, changelog);
    first.close();
    // The data committed (offset 30) but the checkpoint file still says 10.
    writeCheckpointFile(persistentStorePaths(stateDir, "counts").checkpoint, 10);

    const second = openStringStore(stateDir, changelog);
    assert.equal(second.restoredOffset(), 10);
    restoreFromChangelog(second, changelog.records);
    const fresh = openStringStore(undefined, undefined);
    fresh.restore(changelog.tail(undefined));
    assert.deepEqual(contents(second.all()), contents(fresh.all()));
    second.close();
    fresh.close();
  });

  test("a logged store without a checkpoint file starts empty (its files cannot be trusted)", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const first = openStringStore(stateDir, changelog);
    first.put("a", "1");
    commit(first, changelog);
    first.close();
    rmSync(persistentStorePaths(stateDir, "counts").checkpoint);

    const second = openStringStore(stateDir, changelog);
    assert.equal(second.restoredOffset(), undefined);
    assert.equal(second.approximateNumEntries(), 0);
    restoreFromChangelog(second, changelog.records);
    assert.equal(second.get("a"), "1");
    second.close();
  });

  test("a checkpoint file without the database it describes is ignored and removed", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const first = openStringStore(stateDir, changelog);
    first.put("a", "1");
    commit(first, changelog);
    first.close();
    const paths = persistentStorePaths(stateDir, "counts");
    for (const suffix of ["", "-wal"]) rmSync(`${paths.database}${suffix}`, { force: true });

    const second = openStringStore(stateDir, changelog);
    assert.equal(second.restoredOffset(), undefined);
    assert.equal(existsSync(paths.checkpoint), false);
    second.close();
  });

  test("an unreadable checkpoint file counts as absent", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const first = openStringStore(stateDir, changelog);
    first.put("a", "1");
    commit(first, changelog);
    first.close();
    writeFileSync(persistentStorePaths(stateDir, "counts").checkpoint, "{not json");
    const second = openStringStore(stateDir, changelog);
    assert.equal(second.restoredOffset(), undefined);
    assert.equal(second.approximateNumEntries(), 0);
    second.close();
  });

  test("restored records are committed locally as they are applied, before any checkpoint", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const writer = openStringStore(undefined, changelog);
    for (let i = 0; i < 10; i++) writer.put(`k${i}`, `v${i}`);
    changelog.acknowledge();
    writer.close();

    const store = openStringStore(stateDir, changelog);
    store.restore(changelog.tail(undefined));
    store.checkpoint(changelog.lastOffset());
    store.close();
    const reopened = openStringStore(stateDir, changelog);
    assert.equal(reopened.restoredOffset(), 9);
    assert.equal(reopened.approximateNumEntries(), 10);
    reopened.close();
  });

  test("an unlogged store is durable at flush, with no checkpoint", () => {
    const stateDir = tempStateDir();
    const first = openStringStore(stateDir, undefined);
    first.put("a", "1");
    first.flush();
    first.put("b", "2");
    first.close(); // close commits too
    const second = openStringStore(stateDir, undefined);
    assert.equal(second.restoredOffset(), undefined);
    assert.deepEqual(contents(second.all()), [
      ["a", "1"],
      ["b", "2"],
    ]);
    second.close();
  });

  test("a closed store refuses reads and writes; it can be initialised again", () => {
    const stateDir = tempStateDir();
    const store = openStringStore(stateDir, undefined);
    store.put("a", "1");
    store.close();
    store.close();
    assert.throws(() => store.get("a"), /not open/);
    assert.throws(() => store.put("a", "2"), /not open/);
    store.init(storeContext({ stateDir, changelog: undefined }));
    assert.equal(store.get("a"), "1");
    store.close();
  });
});

describe("persistent key-value store: locking", () => {
  test("two instances of a store never open the same files; the second fails until the first closes", () => {
    const stateDir = tempStateDir();
    const first = openStringStore(stateDir, undefined);
    assert.throws(
      () => openStringStore(stateDir, undefined),
      (error: unknown) =>
        error instanceof StateDirectoryLockedError && error.retriable && error.code === "STATE_DIRECTORY_LOCKED",
    );
    const other = openStringStore(stateDir, undefined, "other-store");
    other.close();
    first.close();
    openStringStore(stateDir, undefined).close();
  });
});

describe("persistent key-value store: crash recovery", () => {
  test("killed mid-writes (SIGKILL), the store reopens with a checkpoint no newer than the changelog and restores to it", async () => {
    await crashRecovery({
      kind: "kv",
      read: (store) => contents((store as PersistentKeyValueStore<string, string>).all()),
      expected: (records) => {
        const model = new Map<string, string>();
        for (const record of records) {
          const key = Buffer.from(record.key).toString("utf8");
          if (record.value === null) model.delete(key);
          else model.set(key, Buffer.from(record.value).toString("utf8"));
        }
        return [...model].sort(([a], [b]) => compareBytes(Buffer.from(a), Buffer.from(b)));
      },
    });
  });
});

describe("persistent key-value store: changelog timestamps", () => {
  test("changes are stamped with the timestamp of the record being processed (0 outside a task)", () => {
    const changelog = new SimulatedChangelog();
    let nowMs = 1_000;
    const store = persistentKeyValueStore({ name: "stamped", key: stringSerde, value: stringSerde }).build();
    store.init({
      ...storeContext({ stateDir: tempStateDir(), changelog: changelog.sink }),
      recordTimestampMs: () => nowMs,
    });
    store.put("a", "1");
    nowMs = 2_000;
    store.delete("a");
    const bare = openStringStore(undefined, changelog);
    bare.put("b", "2");
    changelog.acknowledge();
    assert.deepEqual(
      changelog.records.map((entry) => entry.record.timestampMs),
      [1_000, 2_000, 0],
    );
    store.close();
    bare.close();
  });

  test("timestamped: values hold Kafka's ValueAndTimestamp bytes; the changelog the plain value stamped with it", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const serde = valueAndTimestampSerde(stringSerde);
    const open = () => {
      const store = persistentKeyValueStore({ name: "ts", key: stringSerde, value: serde, timestamped: true }).build();
      store.init(storeContext({ stateDir, changelog: changelog.sink }));
      return store;
    };
    const first = open();
    assert.equal(first.timestamped, true);
    first.put("a", { value: "1", timestampMs: 42 });
    first.put("b", { value: "2", timestampMs: 43 });
    first.delete("b");
    changelog.acknowledge();
    assert.deepEqual(
      changelog.records.map(({ record }) => [
        Buffer.from(record.key).toString(),
        record.value === null ? null : Buffer.from(record.value).toString(),
        record.timestampMs,
      ]),
      [
        ["a", "1", 42],
        ["b", "2", 43],
        ["b", null, 0],
      ],
    );
    first.close(); // never checkpointed: the reopened store starts empty and restores it all
    const second = open();
    restoreFromChangelog(second, changelog.records);
    assert.deepEqual(second.get("a"), { value: "1", timestampMs: 42 });
    assert.equal(second.get("b"), undefined);
    second.close();
  });
});
