// The transaction coordinator against an in-memory transaction log, markers recorded instead of
// written, and time moved by hand: ids and epochs, fencing, the commit/abort protocol, timeouts,
// recovery of decided transactions, expiry, and the admin views.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ErrorCode } from "@samsa/protocol";
import { resolveBrokerConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/logger.ts";
import type { AppendOutcome } from "../../src/coordinator/group-store.ts";
import { TransactionCoordinator } from "../../src/coordinator/transaction-coordinator.ts";
import {
  decodeTxnRecord,
  encodeTxnKey,
  encodeTxnValue,
  UnknownTxnRecordVersion,
} from "../../src/coordinator/txn-records.ts";
import type { TxnMetadataValue, TxnRecord } from "../../src/coordinator/txn-records.ts";
import type { TxnStore } from "../../src/coordinator/txn-store.ts";
import type { TxnMarker } from "../../src/txn-markers.ts";
import { ManualTime } from "./support.ts";

/** Keeps the records (encoded and decoded again, as the log would) in order; can fail or wait. */
class MemoryTxnStore implements TxnStore {
  readonly records: TxnRecord[] = [];
  failWith: number | undefined;
  gate: Promise<void> | undefined;

  async append(transactionalId: string, value: TxnMetadataValue | null): Promise<AppendOutcome> {
    if (this.gate !== undefined) await this.gate;
    if (this.failWith !== undefined) return { ok: false, errorCode: this.failWith, message: "failed on purpose" };
    this.records.push(decodeTxnRecord(encodeTxnKey(transactionalId), value === null ? null : encodeTxnValue(value)));
    return { ok: true, lastOffset: this.records.length - 1 };
  }

  replay(visit: (record: TxnRecord) => void): Promise<void> {
    for (const r of this.records) visit(r);
    return Promise.resolve();
  }

  states(transactionalId: string): string[] {
    return this.records.filter((r) => r.transactionalId === transactionalId).map((r) => r.value?.state ?? "tombstone");
  }
}

interface WrittenMarker extends TxnMarker {
  readonly topic: string;
  readonly partition: number;
}

function setup(options: { settings?: Record<string, string>; store?: MemoryTxnStore } = {}) {
  const time = new ManualTime();
  const store = options.store ?? new MemoryTxnStore();
  const markers: WrittenMarker[] = [];
  const marker = { failWith: undefined as number | undefined };
  let nextId = 1000;
  const config = resolveBrokerConfig(options.settings ?? {}).transactions;
  const coordinator = new TransactionCoordinator({
    config,
    store,
    allocateProducerId: () => Promise.resolve(nextId++),
    writeMarker: (topic, partition, m) => {
      if (marker.failWith !== undefined) return Promise.resolve(marker.failWith);
      markers.push({ topic, partition, ...m });
      return Promise.resolve(0);
    },
    clock: time,
    scheduler: time,
    logger: silentLogger,
  });
  return { time, store, markers, marker, coordinator, config };
}

async function started(options: Parameters<typeof setup>[0] = {}) {
  const s = setup(options);
  await s.coordinator.load();
  return s;
}

const timeoutMs = 60_000;

async function init(coordinator: TransactionCoordinator, transactionalId: string) {
  const r = await coordinator.initProducerId({ transactionalId, timeoutMs, expected: undefined });
  assert.equal(r.errorCode, 0, `InitProducerId(${transactionalId}) failed with ${r.errorCode}`);
  return { transactionalId, producerId: r.producerId, producerEpoch: r.producerEpoch };
}

/** Lets queued promise callbacks (background work) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}

describe("transaction coordinator", () => {
  test("answers COORDINATOR_LOAD_IN_PROGRESS until loaded", async () => {
    const { coordinator } = setup();
    const r = await coordinator.initProducerId({ transactionalId: "t", timeoutMs, expected: undefined });
    assert.equal(r.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(coordinator.isAvailable, true);
    await coordinator.load();
    assert.equal((await init(coordinator, "t")).producerEpoch, 0);
  });

  test("InitProducerId: a new id gets a producer id and epoch 0; again, the same id and the next epoch", async () => {
    const { coordinator, store } = await started();
    const first = await init(coordinator, "app-1");
    assert.equal(first.producerId, 1000n);
    assert.equal(first.producerEpoch, 0);
    const second = await init(coordinator, "app-1");
    assert.equal(second.producerId, 1000n);
    assert.equal(second.producerEpoch, 1);
    const other = await init(coordinator, "app-2");
    assert.equal(other.producerId, 1001n);
    assert.deepEqual(store.states("app-1"), ["Empty", "Empty"]);
  });

  test("InitProducerId refuses an empty id and timeouts out of range", async () => {
    const { coordinator, config } = await started();
    const ask = (transactionalId: string, t: number) =>
      coordinator.initProducerId({ transactionalId, timeoutMs: t, expected: undefined });
    assert.equal((await ask("", timeoutMs)).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await ask("x", 0)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await ask("x", config.timeoutMsMax + 1)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await ask("x", config.timeoutMsMax)).errorCode, 0);
  });

  test("a commit writes PrepareCommit, a commit marker to every partition, then CompleteCommit", async () => {
    const { coordinator, store, markers } = await started();
    const p = await init(coordinator, "copier");
    const partitions = [
      { topic: "out", partition: 1 },
      { topic: "out", partition: 0 },
    ];
    assert.equal(await coordinator.addPartitions({ ...p, partitions }), 0);
    assert.equal(await coordinator.addPartitions({ ...p, partitions: [{ topic: "other", partition: 2 }] }), 0);
    // Adding partitions already in the transaction writes nothing.
    assert.equal(await coordinator.addPartitions({ ...p, partitions: [{ topic: "out", partition: 0 }] }), 0);
    assert.equal(coordinator.verifyPartition({ ...p, topic: "out", partition: 1 }), 0);
    assert.equal(coordinator.verifyPartition({ ...p, topic: "out", partition: 7 }), ErrorCode.INVALID_TXN_STATE);
    const [described] = coordinator.describe(["copier"]);
    assert.equal(described?.state, "Ongoing");
    assert.deepEqual(described?.topics, [
      { topic: "other", partitions: [2] },
      { topic: "out", partitions: [0, 1] },
    ]);
    assert.equal(await coordinator.endTxn({ ...p, commit: true }), 0);
    assert.deepEqual(
      markers.map((m) => `${m.topic}-${m.partition}:${m.commit}:${m.producerId}/${m.producerEpoch}`).sort(),
      ["other-2:true:1000/0", "out-0:true:1000/0", "out-1:true:1000/0"],
    );
    assert.deepEqual(store.states("copier"), ["Empty", "Ongoing", "Ongoing", "PrepareCommit", "CompleteCommit"]);
    assert.equal(coordinator.describe(["copier"])[0]?.topics.length, 0);
    // The transaction is over: its partitions no longer verify, a retried EndTxn succeeds, the opposite fails.
    assert.equal(coordinator.verifyPartition({ ...p, topic: "out", partition: 1 }), ErrorCode.INVALID_TXN_STATE);
    assert.equal(await coordinator.endTxn({ ...p, commit: true }), 0);
    assert.equal(await coordinator.endTxn({ ...p, commit: false }), ErrorCode.INVALID_TXN_STATE);
    // The next transaction starts afresh.
    assert.equal(await coordinator.addPartitions({ ...p, partitions: [{ topic: "out", partition: 3 }] }), 0);
    assert.equal(await coordinator.endTxn({ ...p, commit: false }), 0);
    assert.deepEqual(markers.at(-1), {
      topic: "out",
      partition: 3,
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      coordinatorEpoch: 0,
      commit: false,
    });
  });

  test("EndTxn without a transaction, or from an unknown producer, is refused", async () => {
    const { coordinator } = await started();
    const p = await init(coordinator, "idle");
    assert.equal(await coordinator.endTxn({ ...p, commit: true }), ErrorCode.INVALID_TXN_STATE);
    assert.equal(
      await coordinator.endTxn({ ...p, producerId: p.producerId + 1n, commit: true }),
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    );
    assert.equal(
      await coordinator.endTxn({ ...p, transactionalId: "nobody", commit: true }),
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    );
    assert.equal(
      await coordinator.addPartitions({ ...p, producerEpoch: p.producerEpoch + 1, partitions: [] }),
      ErrorCode.PRODUCER_FENCED,
    );
  });

  test("a second producer with the same id fences the first and aborts its transaction", async () => {
    const { coordinator, markers, store } = await started();
    const zombie = await init(coordinator, "fenced");
    assert.equal(await coordinator.addPartitions({ ...zombie, partitions: [{ topic: "t", partition: 0 }] }), 0);
    const fresh = await init(coordinator, "fenced");
    assert.equal(fresh.producerId, zombie.producerId);
    assert.equal(fresh.producerEpoch, zombie.producerEpoch + 2);
    // The zombie's transaction was aborted with the fencing epoch.
    assert.deepEqual(
      markers.map((m) => [m.topic, m.partition, m.commit, m.producerEpoch]),
      [["t", 0, false, zombie.producerEpoch + 1]],
    );
    assert.deepEqual(store.states("fenced"), ["Empty", "Ongoing", "PrepareAbort", "CompleteAbort", "Empty"]);
    const t = [{ topic: "t", partition: 0 }];
    assert.equal(await coordinator.addPartitions({ ...zombie, partitions: t }), ErrorCode.PRODUCER_FENCED);
    assert.equal(await coordinator.endTxn({ ...zombie, commit: true }), ErrorCode.PRODUCER_FENCED);
    assert.equal(coordinator.verifyPartition({ ...zombie, topic: "t", partition: 0 }), ErrorCode.PRODUCER_FENCED);
    assert.equal(await coordinator.addPartitions({ ...fresh, partitions: t }), 0);
  });

  test("a transaction running past its timeout is aborted and its producer fenced", async () => {
    const { coordinator, markers, time, config } = await started();
    const p = await init(coordinator, "slow");
    assert.equal(await coordinator.addPartitions({ ...p, partitions: [{ topic: "t", partition: 4 }] }), 0);
    time.advance(timeoutMs - 1000);
    await settle();
    assert.equal(markers.length, 0, "not yet timed out");
    time.advance(1000 + config.abortTimedOutIntervalMs);
    await settle();
    assert.deepEqual(
      markers.map((m) => [m.partition, m.commit, m.producerEpoch]),
      [[4, false, 1]],
    );
    assert.equal(coordinator.describe(["slow"])[0]?.state, "CompleteAbort");
    assert.equal(await coordinator.endTxn({ ...p, commit: true }), ErrorCode.PRODUCER_FENCED);
    // The producer may re-initialise (KIP-360) and carry on with a new epoch.
    const again = await coordinator.initProducerId({
      transactionalId: "slow",
      timeoutMs,
      expected: { producerId: p.producerId, producerEpoch: p.producerEpoch },
    });
    assert.equal(again.errorCode, ErrorCode.PRODUCER_FENCED, "its epoch is neither the current nor the last one");
    assert.equal((await init(coordinator, "slow")).producerEpoch, 2);
  });

  test("KIP-360: re-initialising with the current epoch bumps it; a retry with the last epoch gets the same answer", async () => {
    const { coordinator } = await started();
    const p = await init(coordinator, "kip360");
    const expected = { producerId: p.producerId, producerEpoch: p.producerEpoch };
    const bumped = await coordinator.initProducerId({ transactionalId: "kip360", timeoutMs, expected });
    assert.deepEqual(bumped, { errorCode: 0, producerId: p.producerId, producerEpoch: 1 });
    const retried = await coordinator.initProducerId({ transactionalId: "kip360", timeoutMs, expected });
    assert.deepEqual(retried, bumped);
    const wrong = await coordinator.initProducerId({
      transactionalId: "kip360",
      timeoutMs,
      expected: { producerId: 42n, producerEpoch: 0 },
    });
    assert.equal(wrong.errorCode, ErrorCode.PRODUCER_FENCED);
  });

  test("an exhausted epoch rotates to a new producer id", async () => {
    const store = new MemoryTxnStore();
    await store.append("old", {
      producerId: 7n,
      previousProducerId: -1n,
      producerEpoch: 32766,
      lastProducerEpoch: -1,
      timeoutMs,
      state: "CompleteCommit",
      partitions: new Map(),
      startTimestampMs: -1,
      lastUpdateTimestampMs: 0,
    });
    const { coordinator } = await started({ store });
    const p = await init(coordinator, "old");
    assert.equal(p.producerId, 1000n);
    assert.equal(p.producerEpoch, 0);
  });

  test("one operation at a time per id: others get CONCURRENT_TRANSACTIONS", async () => {
    const { coordinator, store } = await started();
    const p = await init(coordinator, "busy");
    let open!: () => void;
    store.gate = new Promise((resolve) => (open = resolve));
    const adding = coordinator.addPartitions({ ...p, partitions: [{ topic: "t", partition: 0 }] });
    assert.equal(await coordinator.endTxn({ ...p, commit: true }), ErrorCode.CONCURRENT_TRANSACTIONS);
    const racing = await coordinator.initProducerId({ transactionalId: "busy", timeoutMs, expected: undefined });
    assert.equal(racing.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    store.gate = undefined;
    open();
    assert.equal(await adding, 0);
    assert.equal(await coordinator.endTxn({ ...p, commit: true }), 0);
  });

  test("a failed log write changes nothing and is answered with a retriable error", async () => {
    const { coordinator, store } = await started();
    store.failWith = ErrorCode.KAFKA_STORAGE_ERROR;
    const r = await coordinator.initProducerId({ transactionalId: "nope", timeoutMs, expected: undefined });
    assert.equal(r.errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(coordinator.describe(["nope"])[0]?.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    store.failWith = undefined;
    const p = await init(coordinator, "nope");
    store.failWith = ErrorCode.KAFKA_STORAGE_ERROR;
    assert.equal(
      await coordinator.addPartitions({ ...p, partitions: [{ topic: "t", partition: 0 }] }),
      ErrorCode.NOT_COORDINATOR,
    );
    assert.equal(coordinator.describe(["nope"])[0]?.state, "Empty");
  });

  test("markers that fail are retried until written, then the transaction completes", async () => {
    const { coordinator, markers, marker, time } = await started();
    const p = await init(coordinator, "retry");
    assert.equal(await coordinator.addPartitions({ ...p, partitions: [{ topic: "t", partition: 0 }] }), 0);
    marker.failWith = ErrorCode.KAFKA_STORAGE_ERROR;
    // The decision is logged, so the commit stands and is answered.
    assert.equal(await coordinator.endTxn({ ...p, commit: true }), 0);
    assert.equal(coordinator.describe(["retry"])[0]?.state, "PrepareCommit");
    assert.equal(await coordinator.endTxn({ ...p, commit: true }), ErrorCode.CONCURRENT_TRANSACTIONS);
    time.advance(1000);
    await settle();
    assert.equal(coordinator.describe(["retry"])[0]?.state, "PrepareCommit");
    marker.failWith = undefined;
    time.advance(1000);
    await settle();
    assert.equal(coordinator.describe(["retry"])[0]?.state, "CompleteCommit");
    assert.equal(markers.length, 1);
  });

  test("a restart resumes decided transactions and keeps ongoing ones", async () => {
    const first = await started();
    const decided = await init(first.coordinator, "decided");
    const ongoing = await init(first.coordinator, "ongoing");
    assert.equal(await first.coordinator.addPartitions({ ...decided, partitions: [{ topic: "t", partition: 0 }] }), 0);
    assert.equal(await first.coordinator.addPartitions({ ...ongoing, partitions: [{ topic: "t", partition: 1 }] }), 0);
    first.marker.failWith = ErrorCode.KAFKA_STORAGE_ERROR; // the "crash" happens before any marker
    assert.equal(await first.coordinator.endTxn({ ...decided, commit: false }), 0);
    await first.coordinator.close();

    const second = await started({ store: first.store });
    await settle();
    assert.deepEqual(
      second.markers.map((m) => [m.topic, m.partition, m.commit, m.producerId]),
      [["t", 0, false, decided.producerId]],
    );
    assert.equal(second.coordinator.describe(["decided"])[0]?.state, "CompleteAbort");
    assert.equal(second.coordinator.describe(["ongoing"])[0]?.state, "Ongoing");
    assert.equal(second.coordinator.verifyPartition({ ...ongoing, topic: "t", partition: 1 }), 0);
    assert.equal(await second.coordinator.endTxn({ ...ongoing, commit: true }), 0);
    // Ids and epochs continue where they were.
    assert.equal((await init(second.coordinator, "decided")).producerEpoch, decided.producerEpoch + 1);
    await second.coordinator.close();
  });

  test("idle transactional ids expire after transactional.id.expiration.ms", async () => {
    const { coordinator, store, time, config } = await started({
      settings: {
        "transactional.id.expiration.ms": "60000",
        "transaction.remove.expired.transaction.cleanup.interval.ms": "10000",
      },
    });
    await init(coordinator, "expiring");
    const busy = await init(coordinator, "in-a-transaction");
    assert.equal(await coordinator.addPartitions({ ...busy, partitions: [{ topic: "t", partition: 0 }] }), 0);
    assert.equal(config.idExpirationMs, 60_000);
    time.advance(50_000);
    await settle();
    assert.equal(coordinator.describe(["expiring"])[0]?.errorCode, 0);
    time.advance(20_000);
    await settle();
    assert.equal(coordinator.describe(["expiring"])[0]?.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    assert.equal(store.states("expiring").at(-1), "tombstone");
    // An id with an ongoing transaction never expires.
    assert.equal(coordinator.describe(["in-a-transaction"])[0]?.errorCode, 0);
    // A new producer for the expired id starts over with a new producer id.
    assert.equal((await init(coordinator, "expiring")).producerEpoch, 0);
  });

  test("ListTransactions filters by state, producer id and duration; DescribeTransactions reports unknown ids", async () => {
    const { coordinator, time } = await started();
    const a = await init(coordinator, "a");
    const b = await init(coordinator, "b");
    await init(coordinator, "c");
    assert.equal(await coordinator.addPartitions({ ...a, partitions: [{ topic: "t", partition: 0 }] }), 0);
    time.advance(5000);
    assert.equal(await coordinator.addPartitions({ ...b, partitions: [{ topic: "t", partition: 1 }] }), 0);
    const ids = (l: ReturnType<TransactionCoordinator["list"]>) => l.transactions.map((t) => t.transactionalId).sort();
    const all = { states: [], producerIds: [], durationMs: -1 };
    assert.deepEqual(ids(coordinator.list(all)), ["a", "b", "c"]);
    assert.deepEqual(ids(coordinator.list({ ...all, states: ["Ongoing"] })), ["a", "b"]);
    const unknown = coordinator.list({ ...all, states: ["Ongoing", "Sleeping"] });
    assert.deepEqual(unknown.unknownStates, ["Sleeping"]);
    assert.deepEqual(ids(coordinator.list({ ...all, producerIds: [b.producerId] })), ["b"]);
    assert.deepEqual(ids(coordinator.list({ ...all, states: ["Ongoing"], durationMs: 1000 })), ["a"]);
    assert.deepEqual(ids(coordinator.list({ ...all, states: ["Sleeping"] })), []);
    const described = coordinator.describe(["a", "missing", ""]);
    assert.deepEqual(
      described.map((d) => d.errorCode),
      [0, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, ErrorCode.INVALID_REQUEST],
    );
    assert.equal(described[0]?.producerId, a.producerId);
    assert.equal(described[0]?.timeoutMs, timeoutMs);
  });
});

describe("__transaction_state records", () => {
  const value = fc.record({
    producerId: fc.bigInt({ min: -1n, max: 2n ** 63n - 1n }),
    previousProducerId: fc.bigInt({ min: -1n, max: 2n ** 63n - 1n }),
    producerEpoch: fc.integer({ min: -1, max: 32767 }),
    lastProducerEpoch: fc.integer({ min: -1, max: 32767 }),
    timeoutMs: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    state: fc.constantFrom<TxnMetadataValue["state"]>(
      "Empty",
      "Ongoing",
      "PrepareCommit",
      "PrepareAbort",
      "CompleteCommit",
      "CompleteAbort",
    ),
    partitions: fc
      .dictionary(fc.string({ minLength: 1 }), fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 5 }))
      .map((d) => new Map(Object.entries(d))),
    startTimestampMs: fc.integer({ min: -1, max: 2 ** 45 }),
    lastUpdateTimestampMs: fc.integer({ min: 0, max: 2 ** 45 }),
  });

  test("round trip", () => {
    fc.assert(
      fc.property(fc.string(), fc.option(value, { nil: null }), (transactionalId, v) => {
        const decoded = decodeTxnRecord(encodeTxnKey(transactionalId), v === null ? null : encodeTxnValue(v));
        assert.deepEqual(decoded, { transactionalId, value: v === null ? null : { ...v } });
      }),
    );
  });

  test("hostile bytes give a read error or an unknown version, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 128 }), (key, v) => {
        try {
          decodeTxnRecord(key, v);
        } catch (error) {
          // The Reader's bounds errors (ReadError) or an unknown version; nothing else.
          const known =
            error instanceof Error && (error.name === "ReadError" || error instanceof UnknownTxnRecordVersion);
          assert.ok(known, String(error));
        }
      }),
    );
  });
});
