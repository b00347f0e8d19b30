// The transaction coordinator, as Kafka's (transaction protocol version 1, KIP-98 with KIP-360's
// epoch bumps): it maps transactional ids to producer ids and epochs, fences older producers,
// tracks the partitions of each ongoing transaction, and ends a transaction by writing its
// decision to the transaction log (PrepareCommit/PrepareAbort), then a commit or abort marker to
// every partition in it, then CompleteCommit/CompleteAbort. Every state change is written to
// __transaction_state (acks=all) before it takes effect or is answered, so a restart resumes
// where it stopped: a decided transaction gets its markers written again, an ongoing one runs
// until its producer ends it or transaction.timeout.ms aborts it.
//
// One operation runs at a time per transactional id; a request arriving meanwhile gets
// CONCURRENT_TRANSACTIONS (retriable), as in Kafka. Unlike Kafka, EndTxn is answered after the
// markers are written (not right after the decision is logged): the next transaction of the same
// producer then never meets CONCURRENT_TRANSACTIONS, and the decision is durable either way.
import { ErrorCode } from "@samsa/protocol";
import type { TransactionConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../storage/log-config.ts";
import type { TxnMarker } from "../txn-markers.ts";
import type { Scheduler, ScheduledTask } from "./scheduler.ts";
import type { TxnStore } from "./txn-store.ts";
import type { TxnMetadataValue, TxnState } from "./txn-records.ts";
import { txnStates } from "./txn-records.ts";

const noProducerId = -1n;
const noEpoch = -1;
/** Kafka's isEpochExhausted: an epoch this high gets a new producer id instead of a bump. */
const epochMax = 32767 - 1;
/** Wait before writing markers again after a failure (a full disk, say). */
const markerRetryMs = 1000;

export interface VerifyPartitionParams {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly topic: string;
  readonly partition: number;
}

export interface ProducerIdAndEpoch {
  readonly errorCode: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export interface TxnPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface DescribedTransaction {
  readonly transactionalId: string;
  readonly errorCode: number;
  readonly state: TxnState | "";
  readonly timeoutMs: number;
  readonly startTimestampMs: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

export interface ListedTransaction {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly state: TxnState;
}

export interface TransactionCoordinatorOptions {
  readonly config: TransactionConfig;
  readonly store: TxnStore;
  /** Durably unique producer ids. */
  readonly allocateProducerId: () => Promise<number>;
  /** Writes one end-transaction marker to one partition; resolves with an error code. */
  readonly writeMarker: (topic: string, partition: number, marker: TxnMarker) => Promise<number>;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
}

/** A transactional id's metadata in memory; `busy` while an operation on it is under way. */
interface TxnMetadata {
  readonly transactionalId: string;
  value: TxnMetadataValue;
  busy: boolean;
  /** Stored at least once (a fresh id whose first write fails is dropped again). */
  stored: boolean;
}

function partitionsOf(value: TxnMetadataValue): TxnPartition[] {
  const out: TxnPartition[] = [];
  for (const [topic, partitions] of value.partitions)
    for (const partition of partitions) out.push({ topic, partition });
  return out;
}

function contains(value: TxnMetadataValue, topic: string, partition: number): boolean {
  return value.partitions.get(topic)?.includes(partition) ?? false;
}

function withPartitions(
  current: ReadonlyMap<string, readonly number[]>,
  added: readonly TxnPartition[],
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [topic, partitions] of current) out.set(topic, [...partitions]);
  for (const { topic, partition } of added) {
    const list = out.get(topic) ?? [];
    if (!list.includes(partition)) list.push(partition);
    out.set(topic, list);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errorCode: number };

export class TransactionCoordinator {
  private readonly config: TransactionConfig;
  private readonly store: TxnStore;
  private readonly allocateProducerId: () => Promise<number>;
  private readonly writeMarker: TransactionCoordinatorOptions["writeMarker"];
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly txns = new Map<string, TxnMetadata>();
  private state: "loading" | "active" | "failed" | "closed" = "loading";
  private loading: Promise<void> | undefined;
  private readonly tasks = new Set<ScheduledTask>();
  /** Operations under way (awaited by close). */
  private readonly running = new Set<Promise<unknown>>();

  constructor(options: TransactionCoordinatorOptions) {
    this.config = options.config;
    this.store = options.store;
    this.allocateProducerId = options.allocateProducerId;
    this.writeMarker = options.writeMarker;
    this.clock = options.clock;
    this.scheduler = options.scheduler;
    this.logger = options.logger;
  }

  /** False once loading failed or the coordinator closed (FindCoordinator then says so). */
  get isAvailable(): boolean {
    return this.state === "loading" || this.state === "active";
  }

  /** The error every request gets while the coordinator is not active; 0 when it is. */
  private unavailable(): number {
    switch (this.state) {
      case "active":
        return 0;
      case "loading":
        return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      case "failed":
      case "closed":
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /** Replays __transaction_state, then resumes decided transactions and starts the timers. */
  load(): Promise<void> {
    this.loading ??= this.replay();
    return this.loading;
  }

  private async replay(): Promise<void> {
    try {
      const latest = new Map<string, TxnMetadataValue | null>();
      await this.store.replay((record) => latest.set(record.transactionalId, record.value), {
        stopped: () => this.state === "closed",
      });
      for (const [transactionalId, value] of latest) {
        if (value !== null) this.txns.set(transactionalId, { transactionalId, value, busy: false, stored: true });
      }
    } catch (error) {
      if (this.state === "closed") return;
      this.state = "failed";
      this.logger.log("error", "loading the transaction log failed; transactions are unavailable", {
        error: String(error),
      });
      return;
    }
    if (this.state === "closed") return;
    this.state = "active";
    const decided = [...this.txns.values()].filter(
      (t) => t.value.state === "PrepareCommit" || t.value.state === "PrepareAbort",
    );
    this.logger.log("info", "transaction log loaded", { transactionalIds: this.txns.size, resuming: decided.length });
    for (const txn of decided) this.track(this.resumeMarkers(txn));
    this.every(this.config.abortTimedOutIntervalMs, () => this.abortTimedOut());
    this.every(this.config.removeExpiredIntervalMs, () => this.removeExpired());
  }

  private every(intervalMs: number, task: () => Promise<void>): void {
    const run = (): void => {
      if (this.state !== "active") return;
      const handle = this.scheduler.schedule(intervalMs, () => {
        this.tasks.delete(handle);
        this.track(task().finally(run));
      });
      this.tasks.add(handle);
    };
    run();
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((error: unknown) => {
      this.logger.log("error", "transaction coordinator task failed", { error: String(error) });
    });
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /** Stops the timers and waits for operations under way. */
  async close(): Promise<void> {
    this.state = "closed";
    for (const t of this.tasks) t.cancel();
    this.tasks.clear();
    await this.loading;
    await Promise.all([...this.running]);
  }

  // ------------------------------------------------------------------------------------------- writes

  /** Writes `next` as the metadata of `txn`, then applies it; the caller holds `txn.busy`. */
  private async transition(txn: TxnMetadata, next: TxnMetadataValue): Promise<number> {
    const outcome = await this.store.append(txn.transactionalId, next);
    if (!outcome.ok) {
      this.logger.log("warn", "writing the transaction log failed", {
        transactionalId: txn.transactionalId,
        state: next.state,
        error: outcome.message,
      });
      // Kafka answers NOT_COORDINATOR for failed log writes, which clients retry.
      return outcome.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE
        ? ErrorCode.COORDINATOR_NOT_AVAILABLE
        : ErrorCode.NOT_COORDINATOR;
    }
    txn.value = next;
    txn.stored = true;
    return 0;
  }

  /** Runs `operation` holding the id's lock; CONCURRENT_TRANSACTIONS when another holds it. */
  private async exclusive<T>(txn: TxnMetadata, operation: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
    if (txn.busy) return { ok: false, errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
    txn.busy = true;
    const work = operation();
    this.running.add(work);
    try {
      return await work;
    } finally {
      this.running.delete(work);
      txn.busy = false;
      if (!txn.stored && this.txns.get(txn.transactionalId) === txn) this.txns.delete(txn.transactionalId);
    }
  }

  // ------------------------------------------------------------------------------------------- InitProducerId

  /**
   * InitProducerId with a transactional id: a producer id and a new epoch, fencing any older
   * producer of the id (its ongoing transaction is aborted). `expected` (KIP-360) is the id and
   * epoch the producer had, when it re-initialises after an error.
   */
  async initProducerId(params: {
    transactionalId: string;
    timeoutMs: number;
    expected: { producerId: bigint; producerEpoch: number } | undefined;
  }): Promise<ProducerIdAndEpoch> {
    const fail = (errorCode: number): ProducerIdAndEpoch => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    const down = this.unavailable();
    if (down !== 0) return fail(down);
    if (params.transactionalId === "") return fail(ErrorCode.INVALID_REQUEST);
    if (params.timeoutMs <= 0 || params.timeoutMs > this.config.timeoutMsMax)
      return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    let txn = this.txns.get(params.transactionalId);
    if (txn === undefined) {
      // Reserve the id in memory (busy) while a producer id is allocated, so a concurrent
      // InitProducerId for the same id meets CONCURRENT_TRANSACTIONS rather than a second id.
      txn = {
        transactionalId: params.transactionalId,
        value: {
          producerId: noProducerId,
          previousProducerId: noProducerId,
          producerEpoch: noEpoch,
          lastProducerEpoch: noEpoch,
          timeoutMs: params.timeoutMs,
          state: "Empty",
          partitions: new Map(),
          startTimestampMs: -1,
          lastUpdateTimestampMs: this.clock.nowMs(),
        },
        busy: false,
        stored: false,
      };
      this.txns.set(params.transactionalId, txn);
    }
    const entry = txn;
    const result = await this.exclusive(entry, async (): Promise<Outcome<ProducerIdAndEpoch>> => {
      if (entry.value.producerId === noProducerId) {
        entry.value = { ...entry.value, producerId: BigInt(await this.allocateProducerId()) };
      }
      // An ongoing transaction of an older producer is aborted first, with a bumped epoch that
      // fences that producer; then the epoch is bumped again for the new one (Kafka answers
      // CONCURRENT_TRANSACTIONS in between and lets the client retry; here it happens in one go).
      if (entry.value.state === "Ongoing") {
        if (params.expected !== undefined && !this.isValidProducerId(entry.value, params.expected))
          return { ok: false, errorCode: ErrorCode.PRODUCER_FENCED };
        const fenced = await this.fenceAndAbort(entry);
        if (fenced !== 0) return { ok: false, errorCode: fenced };
      }
      return this.bumpEpoch(entry, params.timeoutMs, params.expected);
    });
    if (!result.ok) return fail(result.errorCode);
    this.logger.log("info", "initialised a transactional producer", {
      transactionalId: params.transactionalId,
      producerId: String(result.value.producerId),
      producerEpoch: result.value.producerEpoch,
    });
    return result.value;
  }

  /** Kafka's isValidProducerId for KIP-360 re-initialisation. */
  private isValidProducerId(value: TxnMetadataValue, expected: { producerId: bigint; producerEpoch: number }): boolean {
    return (
      value.producerEpoch === noEpoch ||
      expected.producerId === value.producerId ||
      (expected.producerId === value.previousProducerId && expected.producerEpoch >= epochMax)
    );
  }

  private async bumpEpoch(
    txn: TxnMetadata,
    timeoutMs: number,
    expected: { producerId: bigint; producerEpoch: number } | undefined,
  ): Promise<Outcome<ProducerIdAndEpoch>> {
    const v = txn.value;
    if (expected !== undefined && !this.isValidProducerId(v, expected))
      return { ok: false, errorCode: ErrorCode.PRODUCER_FENCED };
    switch (v.state) {
      case "PrepareCommit":
      case "PrepareAbort":
      case "Ongoing":
      case "PrepareEpochFence":
        return { ok: false, errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
      case "Dead":
        return { ok: false, errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
      case "Empty":
      case "CompleteCommit":
      case "CompleteAbort":
        break;
    }
    const now = this.clock.nowMs();
    let producerId = v.producerId;
    let previousProducerId = v.previousProducerId;
    let producerEpoch: number;
    let lastProducerEpoch: number;
    if (v.producerEpoch >= epochMax && (expected === undefined || expected.producerEpoch === v.producerEpoch)) {
      // Epochs exhausted: a new producer id, epoch 0.
      previousProducerId = v.producerId;
      producerId = BigInt(await this.allocateProducerId());
      producerEpoch = 0;
      lastProducerEpoch = expected === undefined ? noEpoch : v.producerEpoch;
    } else if (expected === undefined) {
      producerEpoch = v.producerEpoch + 1;
      lastProducerEpoch = noEpoch;
    } else if (v.producerEpoch === noEpoch || expected.producerEpoch === v.producerEpoch) {
      producerEpoch = v.producerEpoch + 1;
      lastProducerEpoch = v.producerEpoch;
    } else if (expected.producerEpoch === v.lastProducerEpoch) {
      // A retry of a bump that succeeded but whose answer was lost.
      return { ok: true, value: { errorCode: 0, producerId: v.producerId, producerEpoch: v.producerEpoch } };
    } else {
      return { ok: false, errorCode: ErrorCode.PRODUCER_FENCED };
    }
    const errorCode = await this.transition(txn, {
      producerId,
      previousProducerId,
      producerEpoch,
      lastProducerEpoch,
      timeoutMs,
      state: "Empty",
      partitions: new Map(),
      startTimestampMs: -1,
      lastUpdateTimestampMs: now,
    });
    if (errorCode !== 0) return { ok: false, errorCode };
    return { ok: true, value: { errorCode: 0, producerId, producerEpoch } };
  }

  /** Aborts `txn`'s ongoing transaction with a bumped epoch (fencing its producer); holds `busy`. */
  private async fenceAndAbort(txn: TxnMetadata): Promise<number> {
    const v = txn.value;
    const fencedEpoch = Math.min(v.producerEpoch + 1, 32767);
    this.logger.log("info", "aborting a transaction and fencing its producer", {
      transactionalId: txn.transactionalId,
      producerId: String(v.producerId),
      producerEpoch: v.producerEpoch,
    });
    return this.decide(txn, false, { ...v, producerEpoch: fencedEpoch, lastProducerEpoch: noEpoch });
  }

  // ------------------------------------------------------------------------------------------- AddPartitions

  /** Checks the producer against the id's metadata; the error to answer, or the metadata. */
  private checkProducer(transactionalId: string, producerId: bigint, producerEpoch: number): Outcome<TxnMetadata> {
    const down = this.unavailable();
    if (down !== 0) return { ok: false, errorCode: down };
    if (transactionalId === "") return { ok: false, errorCode: ErrorCode.INVALID_REQUEST };
    const txn = this.txns.get(transactionalId);
    if (txn === undefined || !txn.stored || txn.value.producerId !== producerId)
      return { ok: false, errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
    if (txn.value.producerEpoch !== producerEpoch) return { ok: false, errorCode: ErrorCode.PRODUCER_FENCED };
    return { ok: true, value: txn };
  }

  /** AddPartitionsToTxn (and AddOffsetsToTxn): adds partitions to the producer's transaction, starting one if needed. */
  async addPartitions(params: {
    transactionalId: string;
    producerId: bigint;
    producerEpoch: number;
    partitions: readonly TxnPartition[];
  }): Promise<number> {
    const checked = this.checkProducer(params.transactionalId, params.producerId, params.producerEpoch);
    if (!checked.ok) return checked.errorCode;
    const txn = checked.value;
    const result = await this.exclusive(txn, async (): Promise<Outcome<null>> => {
      // Checked again: the metadata may have changed while another operation held the lock.
      if (txn.value.producerId !== params.producerId)
        return { ok: false, errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
      if (txn.value.producerEpoch !== params.producerEpoch) return { ok: false, errorCode: ErrorCode.PRODUCER_FENCED };
      const v = txn.value;
      if (v.state === "PrepareCommit" || v.state === "PrepareAbort" || v.state === "PrepareEpochFence")
        return { ok: false, errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
      if (v.state === "Ongoing" && params.partitions.every((p) => contains(v, p.topic, p.partition)))
        return { ok: true, value: null };
      const now = this.clock.nowMs();
      const errorCode = await this.transition(txn, {
        ...v,
        state: "Ongoing",
        partitions: withPartitions(v.state === "Ongoing" ? v.partitions : new Map(), params.partitions),
        startTimestampMs: v.state === "Ongoing" ? v.startTimestampMs : now,
        lastUpdateTimestampMs: now,
      });
      return errorCode === 0 ? { ok: true, value: null } : { ok: false, errorCode };
    });
    return result.ok ? 0 : result.errorCode;
  }

  /**
   * Whether the producer may write to topic-partition in its transaction (Produce,
   * TxnOffsetCommit): 0, or the error to answer. Kafka's handleVerifyPartitionsInTransaction.
   */
  verifyPartition(params: VerifyPartitionParams): number {
    const checked = this.checkProducer(params.transactionalId, params.producerId, params.producerEpoch);
    if (!checked.ok) return checked.errorCode;
    const v = checked.value.value;
    if (v.state === "PrepareCommit" || v.state === "PrepareAbort") return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (v.state !== "Ongoing" || !contains(v, params.topic, params.partition)) return ErrorCode.INVALID_TXN_STATE;
    return 0;
  }

  // ------------------------------------------------------------------------------------------- EndTxn

  /** EndTxn: commits or aborts the producer's ongoing transaction. */
  async endTxn(params: {
    transactionalId: string;
    producerId: bigint;
    producerEpoch: number;
    commit: boolean;
  }): Promise<number> {
    const checked = this.checkProducer(params.transactionalId, params.producerId, params.producerEpoch);
    if (!checked.ok) return checked.errorCode;
    const txn = checked.value;
    const result = await this.exclusive(txn, async (): Promise<Outcome<null>> => {
      if (txn.value.producerId !== params.producerId)
        return { ok: false, errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
      if (txn.value.producerEpoch !== params.producerEpoch) return { ok: false, errorCode: ErrorCode.PRODUCER_FENCED };
      const v = txn.value;
      const invalid = { ok: false, errorCode: ErrorCode.INVALID_TXN_STATE } as const;
      switch (v.state) {
        case "Ongoing": {
          const errorCode = await this.decide(txn, params.commit, v);
          return errorCode === 0 ? { ok: true, value: null } : { ok: false, errorCode };
        }
        case "CompleteCommit":
          return params.commit ? { ok: true, value: null } : invalid; // a retry
        case "CompleteAbort":
          return params.commit ? invalid : { ok: true, value: null };
        case "PrepareCommit":
          return params.commit ? { ok: false, errorCode: ErrorCode.CONCURRENT_TRANSACTIONS } : invalid;
        case "PrepareAbort":
          return params.commit ? invalid : { ok: false, errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
        case "Empty":
        case "Dead":
        case "PrepareEpochFence":
          return invalid;
      }
    });
    if (!result.ok && result.errorCode === ErrorCode.INVALID_TXN_STATE) {
      this.logger.log("info", "refused to end a transaction in the wrong state", {
        transactionalId: params.transactionalId,
        state: txn.value.state,
        commit: params.commit,
      });
    }
    return result.ok ? 0 : result.errorCode;
  }

  /**
   * Decides the transaction (`base` is its metadata, possibly with a fencing epoch): writes
   * PrepareCommit/PrepareAbort, then the markers, then CompleteCommit/CompleteAbort. Once the
   * decision is logged it stands (0 is answered); markers that fail are retried in the background.
   */
  private async decide(txn: TxnMetadata, commit: boolean, base: TxnMetadataValue): Promise<number> {
    const errorCode = await this.transition(txn, {
      ...base,
      state: commit ? "PrepareCommit" : "PrepareAbort",
      lastUpdateTimestampMs: this.clock.nowMs(),
    });
    if (errorCode !== 0) return errorCode;
    await this.completeMarkers(txn);
    return 0;
  }

  /** Writes the decided transaction's markers and, when all are written, its Complete state. Holds `busy`. */
  private async completeMarkers(txn: TxnMetadata): Promise<boolean> {
    const v = txn.value;
    const commit = v.state === "PrepareCommit";
    const marker: TxnMarker = { producerId: v.producerId, producerEpoch: v.producerEpoch, coordinatorEpoch: 0, commit };
    const results = await Promise.all(
      partitionsOf(v).map(async ({ topic, partition }) => {
        const errorCode = await this.writeMarker(topic, partition, marker).catch(() => ErrorCode.KAFKA_STORAGE_ERROR);
        // A deleted topic needs no marker (Kafka skips it too); a partition whose producer has a
        // newer epoch already moved past this transaction (Kafka gives up on those markers too).
        if (errorCode === ErrorCode.INVALID_PRODUCER_EPOCH) {
          this.logger.log("warn", "a partition refused a transaction marker with an old epoch", {
            transactionalId: txn.transactionalId,
            topic,
            partition,
          });
        } else if (errorCode !== 0 && errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
          this.logger.log("warn", "writing a transaction marker failed; will retry", {
            transactionalId: txn.transactionalId,
            topic,
            partition,
            errorCode,
          });
          return false;
        }
        return true;
      }),
    );
    if (results.includes(false)) {
      this.retryMarkersLater(txn);
      return false;
    }
    const completed = await this.transition(txn, {
      ...v,
      state: commit ? "CompleteCommit" : "CompleteAbort",
      partitions: new Map(),
      lastUpdateTimestampMs: this.clock.nowMs(),
    });
    if (completed !== 0) {
      this.retryMarkersLater(txn);
      return false;
    }
    return true;
  }

  private retryMarkersLater(txn: TxnMetadata): void {
    if (this.state !== "active") return;
    const handle = this.scheduler.schedule(markerRetryMs, () => {
      this.tasks.delete(handle);
      this.track(this.resumeMarkers(txn));
    });
    this.tasks.add(handle);
  }

  /** Finishes a decided transaction (after a restart or a failed marker write). */
  private async resumeMarkers(txn: TxnMetadata): Promise<void> {
    if (this.state !== "active") return;
    if (txn.busy) {
      this.retryMarkersLater(txn);
      return;
    }
    await this.exclusive(txn, async (): Promise<Outcome<null>> => {
      if (txn.value.state === "PrepareCommit" || txn.value.state === "PrepareAbort") await this.completeMarkers(txn);
      return { ok: true, value: null };
    });
  }

  // ------------------------------------------------------------------------------------------- timers

  /** Aborts transactions open longer than their timeout, fencing their producers (as Kafka). */
  async abortTimedOut(): Promise<void> {
    const now = this.clock.nowMs();
    const expired = [...this.txns.values()].filter(
      (t) => !t.busy && t.value.state === "Ongoing" && t.value.startTimestampMs + t.value.timeoutMs < now,
    );
    await Promise.all(
      expired.map((txn) =>
        this.exclusive(txn, async (): Promise<Outcome<null>> => {
          if (txn.value.state !== "Ongoing") return { ok: true, value: null };
          this.logger.log("info", "aborting a transaction that timed out", {
            transactionalId: txn.transactionalId,
            timeoutMs: txn.value.timeoutMs,
          });
          const errorCode = await this.fenceAndAbort(txn);
          return errorCode === 0 ? { ok: true, value: null } : { ok: false, errorCode };
        }),
      ),
    );
  }

  /** Forgets transactional ids idle for transactional.id.expiration.ms (a tombstone in the log). */
  async removeExpired(): Promise<void> {
    const now = this.clock.nowMs();
    const idle = [...this.txns.values()].filter(
      (t) =>
        !t.busy &&
        (t.value.state === "Empty" || t.value.state === "CompleteCommit" || t.value.state === "CompleteAbort") &&
        t.value.lastUpdateTimestampMs + this.config.idExpirationMs <= now,
    );
    for (const txn of idle) {
      await this.exclusive(txn, async (): Promise<Outcome<null>> => {
        const outcome = await this.store.append(txn.transactionalId, null);
        if (!outcome.ok) return { ok: false, errorCode: outcome.errorCode };
        this.txns.delete(txn.transactionalId);
        txn.stored = false;
        this.logger.log("info", "expired a transactional id", { transactionalId: txn.transactionalId });
        return { ok: true, value: null };
      });
    }
  }

  // ------------------------------------------------------------------------------------------- admin

  describe(transactionalIds: readonly string[]): DescribedTransaction[] {
    const down = this.unavailable();
    return transactionalIds.map((transactionalId) => {
      const none: DescribedTransaction = {
        transactionalId,
        errorCode: down,
        state: "",
        timeoutMs: 0,
        startTimestampMs: -1,
        producerId: -1n,
        producerEpoch: -1,
        topics: [],
      };
      if (down !== 0) return none;
      if (transactionalId === "") return { ...none, errorCode: ErrorCode.INVALID_REQUEST };
      const txn = this.txns.get(transactionalId);
      if (txn === undefined || !txn.stored || txn.value.state === "Dead")
        return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
      const v = txn.value;
      return {
        transactionalId,
        errorCode: 0,
        state: v.state,
        timeoutMs: v.timeoutMs,
        startTimestampMs: v.startTimestampMs,
        producerId: v.producerId,
        producerEpoch: v.producerEpoch,
        topics: [...v.partitions].map(([topic, partitions]) => ({ topic, partitions })),
      };
    });
  }

  /** ListTransactions with Kafka's filters (empty filter: everything). */
  list(filters: {
    states: readonly string[];
    producerIds: readonly bigint[];
    /** Only transactions running longer than this (ms); -1: no filter. */
    durationMs: number;
  }): { errorCode: number; unknownStates: string[]; transactions: ListedTransaction[] } {
    const down = this.unavailable();
    if (down !== 0) return { errorCode: down, unknownStates: [], transactions: [] };
    const known = new Set<string>(txnStates);
    const unknownStates = filters.states.filter((s) => !known.has(s));
    const states = new Set(filters.states.filter((s) => known.has(s)));
    if (filters.states.length > 0 && states.size === 0) return { errorCode: 0, unknownStates, transactions: [] };
    const producerIds = new Set(filters.producerIds);
    const now = this.clock.nowMs();
    const transactions: ListedTransaction[] = [];
    for (const txn of this.txns.values()) {
      const v = txn.value;
      if (!txn.stored || v.state === "Dead") continue;
      if (states.size > 0 && !states.has(v.state)) continue;
      if (producerIds.size > 0 && !producerIds.has(v.producerId)) continue;
      if (filters.durationMs >= 0 && now - v.startTimestampMs <= filters.durationMs) continue;
      transactions.push({ transactionalId: txn.transactionalId, producerId: v.producerId, state: v.state });
    }
    return { errorCode: 0, unknownStates, transactions };
  }
}
