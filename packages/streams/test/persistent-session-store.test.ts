// The persistent session store: the shared behaviour suite (run on the in-memory store too), a
// differential property test against the in-memory store across restarts, retention kept across
// restarts and expired sessions deleted from disk, tail-only restore after a checkpoint, and crash
// recovery.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { ChangelogRecord, KeyValue, SessionStore, StoreContext, Windowed } from "../src/state/store.ts";
import { InMemorySessionStore } from "../src/state/in-memory-session-store.ts";
import { persistentSessionStore } from "../src/state/persistent-session-store.ts";
import type { PersistentSessionStore } from "../src/state/persistent-session-store.ts";
import { persistentStorePaths } from "../src/state/persistent-database.ts";
import { sqlite } from "../src/state/persistent-lock.ts";
import { hexRecord, sessionStoreBehaviour, storeContext, stringSerde, tempStateDir } from "./store-behaviour.ts";
import { commit, crashRecovery, restoreFromChangelog, SimulatedChangelog } from "./persistent-support.ts";
import { CRASH_RETENTION_MS } from "./persistent-crash-child.ts";

function openPersistent(
  retentionMs: number,
  context: Partial<StoreContext> = {},
): PersistentSessionStore<string, string> {
  const store = persistentSessionStore({
    name: "sessions",
    keySerde: stringSerde,
    valueSerde: stringSerde,
    retentionMs,
  }).build();
  store.init({ ...storeContext({ stateDir: undefined, changelog: undefined }), ...context });
  return store;
}

function openInMemory(retentionMs: number): InMemorySessionStore<string, string> {
  return new InMemorySessionStore({ name: "sessions", keySerde: stringSerde, valueSerde: stringSerde, retentionMs });
}

function entries(items: Iterable<KeyValue<Windowed<string>, string>>): [string, number, number, string][] {
  return [...items].map((item) => [item.key.key, item.key.window.startMs, item.key.window.endMs, item.value]);
}

function session(key: string, startMs: number, endMs: number): Windowed<string> {
  return { key, window: { startMs, endMs } };
}

sessionStoreBehaviour("in-memory", (options) => {
  const changelog: ChangelogRecord[] = [];
  const store = openInMemory(options.retentionMs);
  store.init(
    storeContext({ stateDir: undefined, changelog: options.logged === false ? undefined : (r) => changelog.push(r) }),
  );
  return { store, changelog };
});

for (const [label, stateDir] of [
  ["persistent, on disk", tempStateDir],
  ["persistent, no state directory", () => undefined],
] as const) {
  sessionStoreBehaviour(label, (options) => {
    const changelog: ChangelogRecord[] = [];
    const store = openPersistent(options.retentionMs, {
      stateDir: stateDir(),
      changelog: options.logged === false ? undefined : (record) => changelog.push(record),
    });
    return { store, changelog };
  });
}

describe("persistent session store: builder", () => {
  test("logged with Kafka's windowed changelog configs, or not", () => {
    const builder = persistentSessionStore({
      name: "s",
      keySerde: stringSerde,
      valueSerde: stringSerde,
      retentionMs: 500,
    });
    assert.equal(builder.logged, true);
    assert.equal(builder.changelogConfigs["cleanup.policy"], "compact,delete");
    assert.equal(builder.changelogConfigs["retention.ms"], String(500 + 86_400_000));
    assert.equal(builder.withLoggingDisabled().logged, false);
    assert.equal(builder.build().retentionMs, 500);
    assert.throws(
      () => persistentSessionStore({ name: "s", keySerde: stringSerde, valueSerde: stringSerde, retentionMs: -1 }),
      RangeError,
    );
  });
});

describe("persistent session store: same results as the in-memory store (property, with restarts)", () => {
  const key = fc.constantFrom("a", "b", "ab", "", "é");
  const time = fc.integer({ min: 0, max: 400 });
  const span = fc.integer({ min: 0, max: 60 });
  const op = fc.oneof(
    fc.record({ kind: fc.constant("put" as const), key, end: time, span, value: fc.string({ maxLength: 3 }) }),
    fc.record({ kind: fc.constant("remove" as const), key, end: time, span }),
    fc.record({ kind: fc.constant("fetchSession" as const), key, end: time, span }),
    fc.record({ kind: fc.constant("findSessions" as const), key, earliestEnd: time, latestStart: time }),
    fc.record({ kind: fc.constant("byEndTime" as const), earliestEnd: time, latestEnd: time }),
    fc.record({ kind: fc.constant("restart" as const) }),
  );

  test("random puts, removes and reads", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 50 }), fc.integer({ min: 10, max: 200 }), (ops, retentionMs) => {
        const stateDir = tempStateDir();
        const changelog = new SimulatedChangelog();
        const expectedLog: ChangelogRecord[] = [];
        const open = () => {
          const store = openPersistent(retentionMs, { stateDir, changelog: changelog.sink });
          restoreFromChangelog(store, changelog.records);
          return store;
        };
        let store = open();
        const model = openInMemory(retentionMs);
        model.init(storeContext({ stateDir: undefined, changelog: (record) => expectedLog.push(record) }));
        try {
          for (const step of ops) {
            switch (step.kind) {
              case "put": {
                const start = Math.max(0, step.end - step.span);
                store.put(session(step.key, start, step.end), step.value);
                model.put(session(step.key, start, step.end), step.value);
                break;
              }
              case "remove": {
                const start = Math.max(0, step.end - step.span);
                store.remove(session(step.key, start, step.end));
                model.remove(session(step.key, start, step.end));
                break;
              }
              case "fetchSession": {
                const start = Math.max(0, step.end - step.span);
                assert.equal(
                  store.fetchSession(step.key, start, step.end),
                  model.fetchSession(step.key, start, step.end),
                );
                break;
              }
              case "findSessions":
                assert.deepEqual(
                  entries(store.findSessions(step.key, step.earliestEnd, step.latestStart)),
                  entries(model.findSessions(step.key, step.earliestEnd, step.latestStart)),
                );
                assert.deepEqual(
                  entries(store.backwardFindSessions(step.key, step.earliestEnd, step.latestStart)),
                  entries(model.backwardFindSessions(step.key, step.earliestEnd, step.latestStart)),
                );
                assert.deepEqual(entries(store.fetch(step.key)), entries(model.fetch(step.key)));
                break;
              case "byEndTime":
                assert.deepEqual(
                  entries(store.findSessionsByEndTime(step.earliestEnd, step.latestEnd)),
                  entries(model.findSessionsByEndTime(step.earliestEnd, step.latestEnd)),
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
          assert.deepEqual(changelog.tail(undefined).map(hexRecord), expectedLog.map(hexRecord));
        } finally {
          store.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

function storedSessionRows(stateDir: string): number {
  const db = new (sqlite().DatabaseSync)(persistentStorePaths(stateDir, "sessions").database);
  try {
    return Number(db.prepare("SELECT count(*) AS n FROM sessions").get()?.["n"]);
  } finally {
    db.close();
  }
}

describe("persistent session store: retention and restarts", () => {
  test("observed stream time survives a restart; expired sessions stay hidden and are deleted from disk", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const first = openPersistent(1_000, { stateDir, changelog: changelog.sink });
    for (let end = 0; end < 1_000; end += 100) first.put(session("k", end, end), `v${end}`);
    commit(first, changelog);
    first.close();
    assert.equal(storedSessionRows(stateDir), 10);

    const second = openPersistent(1_000, { stateDir, changelog: changelog.sink });
    assert.equal(second.observedStreamTime, 900);
    second.put(session("k", 2_400, 2_500), "latest");
    assert.deepEqual(entries(second.all()), [["k", 2_400, 2_500, "latest"]]);
    commit(second, changelog);
    second.close();
    assert.equal(storedSessionRows(stateDir), 1);
  });

  test("after a checkpoint a restart restores only the tail, and ends where a full restore would", () => {
    const stateDir = tempStateDir();
    const changelog = new SimulatedChangelog();
    const first = openPersistent(300, { stateDir, changelog: changelog.sink });
    for (let i = 0; i < 40; i++) first.put(session(`k${i % 4}`, i * 10, i * 10 + 15), `v${i}`);
    commit(first, changelog);
    for (let i = 40; i < 50; i++) first.put(session(`k${i % 4}`, i * 10, i * 10 + 15), `v${i}`);
    first.remove(session("k0", 360, 375));
    changelog.acknowledge();
    first.close();

    const second = openPersistent(300, { stateDir, changelog: changelog.sink });
    assert.equal(second.restoredOffset(), 39);
    assert.deepEqual(restoreFromChangelog(second, changelog.records), { restored: 11 });
    const full = openInMemory(300);
    full.init(storeContext({ stateDir: undefined, changelog: undefined }));
    full.restore(changelog.tail(undefined));
    assert.deepEqual(entries(second.all()), entries(full.all()));
    second.close();
  });
});

describe("persistent session store: crash recovery", () => {
  test("killed mid-writes (SIGKILL), the store reopens with a checkpoint no newer than the changelog and restores to it", async () => {
    await crashRecovery({
      kind: "session",
      read: (store) =>
        entries((store as SessionStore<string, string>).fetch("k1")).concat(
          entries((store as PersistentSessionStore<string, string>).all()),
        ),
      expected: (records) => {
        const model = openInMemory(CRASH_RETENTION_MS);
        model.init(storeContext({ stateDir: undefined, changelog: undefined }));
        model.restore(records);
        return entries(model.fetch("k1")).concat(entries(model.all()));
      },
    });
  });
});
