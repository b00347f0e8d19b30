// Helpers for coordinator tests: time moved by hand (clock and timers together), an in-memory
// GroupStore that keeps what was written (transactional batches and markers too; can fail), and
// consumer-protocol metadata.
import { encodeConsumerProtocolAssignment, encodeConsumerProtocolSubscription, Writer } from "@samsa/protocol";
import { silentLogger } from "../../src/logger.ts";
import { resolveBrokerConfig } from "../../src/config.ts";
import type { GroupCoordinatorConfig } from "../../src/config.ts";
import { GroupCoordinator } from "../../src/coordinator/group-coordinator.ts";
import { partitionForGroup } from "../../src/coordinator/group-store.ts";
import type { AppendOutcome, GroupStore, ReplayedEntry, TxnProducer } from "../../src/coordinator/group-store.ts";
import type { CoordinatorRecord } from "../../src/coordinator/records.ts";
import type { ScheduledTask, Scheduler } from "../../src/coordinator/scheduler.ts";
import type { Clock } from "../../src/storage/log-config.ts";
import type { TxnMarker } from "../../src/txn-markers.ts";

interface Task {
  readonly dueMs: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

/** A clock and a scheduler in one: `advance` moves time and runs what falls due, in order. */
export class ManualTime implements Clock, Scheduler {
  now: number;
  private tasks: Task[] = [];
  private seq = 0;

  constructor(startMs = 1_700_000_000_000) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  schedule(delayMs: number, run: () => void): ScheduledTask {
    const task: Task = { dueMs: this.now + Math.max(0, delayMs), seq: this.seq++, run, cancelled: false };
    this.tasks.push(task);
    return {
      cancel: () => {
        task.cancelled = true;
      },
    };
  }

  /** Timers still to fire. */
  get pending(): number {
    return this.tasks.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, running each due task at its due time. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      this.tasks = this.tasks.filter((t) => !t.cancelled);
      let next: Task | undefined;
      for (const t of this.tasks) {
        if (
          t.dueMs <= target &&
          (next === undefined || t.dueMs < next.dueMs || (t.dueMs === next.dueMs && t.seq < next.seq))
        ) {
          next = t;
        }
      }
      if (next === undefined) break;
      next.cancelled = true;
      this.now = Math.max(this.now, next.dueMs);
      next.run();
    }
    this.now = target;
  }
}

/** Keeps appended records (and end-transaction markers) in memory, in order, with their offsets; can be told to fail. */
export class MemoryGroupStore implements GroupStore {
  /** `producerId` is set for records of transactional batches. */
  readonly records: { record: CoordinatorRecord; offset: number; producerId?: bigint }[] = [];
  /** End-transaction markers; they take offsets in the same sequence as `records`. */
  readonly markers: { offset: number; partition: number; producerId: bigint; commit: boolean }[] = [];
  /** __consumer_offsets partitions the groups spread over (as Kafka's partitionFor). */
  partitions = 1;
  /** When set, appends fail with this error code. */
  failWith: number | undefined;
  /** When set, appends wait for this promise before completing. */
  gate: Promise<void> | undefined;

  private get nextOffset(): number {
    return Math.max(this.records.at(-1)?.offset ?? -1, this.markers.at(-1)?.offset ?? -1) + 1;
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.partitions);
  }

  async append(
    _groupId: string,
    records: readonly CoordinatorRecord[],
    options: { readonly txn?: TxnProducer } = {},
  ): Promise<AppendOutcome> {
    if (this.gate !== undefined) await this.gate;
    if (this.failWith !== undefined) return { ok: false, errorCode: this.failWith, message: "injected failure" };
    const txn = options.txn === undefined ? {} : { producerId: options.txn.producerId };
    for (const record of records) this.records.push({ record, offset: this.nextOffset, ...txn });
    return { ok: true, lastOffset: this.nextOffset - 1 };
  }

  async appendMarker(partition: number, marker: TxnMarker): Promise<AppendOutcome> {
    if (this.gate !== undefined) await this.gate;
    if (this.failWith !== undefined) return { ok: false, errorCode: this.failWith, message: "injected failure" };
    const offset = this.nextOffset;
    this.markers.push({ offset, partition, producerId: marker.producerId, commit: marker.commit });
    return { ok: true, lastOffset: offset };
  }

  replay(visit: (entry: ReplayedEntry) => void): Promise<void> {
    const entries: ReplayedEntry[] = [
      ...this.records.map(({ record, offset, producerId }) => ({
        kind: "record" as const,
        record,
        offset,
        partition: this.partitionFor(record.groupId),
        producerId: producerId ?? -1n,
      })),
      ...this.markers.map((m) => ({ kind: "marker" as const, ...m })),
    ];
    for (const entry of entries.sort((a, b) => a.offset - b.offset)) visit(entry);
    return Promise.resolve();
  }
}

/** The broker's default group settings, with overrides by Kafka name. */
export function groupConfig(settings: Record<string, string> = {}): GroupCoordinatorConfig {
  return resolveBrokerConfig(settings).groupCoordinator;
}

/** A coordinator on manual time and a memory store, loaded and ready. */
export async function makeCoordinator(
  options: { settings?: Record<string, string>; store?: MemoryGroupStore; time?: ManualTime } = {},
): Promise<{ coordinator: GroupCoordinator; time: ManualTime; store: MemoryGroupStore }> {
  const time = options.time ?? new ManualTime();
  const store = options.store ?? new MemoryGroupStore();
  let n = 0;
  const coordinator = new GroupCoordinator({
    config: groupConfig(options.settings),
    store,
    clock: time,
    scheduler: time,
    logger: silentLogger,
    newMemberId: (prefix) => `${prefix}-m${++n}`,
  });
  await coordinator.load();
  return { coordinator, time, store };
}

/** Lets promise callbacks (store writes, resolved joins) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** ConsumerProtocolSubscription bytes (version prefix, then the body). */
export function subscription(topics: string[], version = 1): Uint8Array {
  const w = new Writer();
  w.int16(version);
  encodeConsumerProtocolSubscription(w, version, { topics, userData: null, ownedPartitions: [] });
  return w.toBytes();
}

/** ConsumerProtocolAssignment bytes (version prefix, then the body). */
export function assignment(partitions: Record<string, number[]>, version = 1): Uint8Array {
  const w = new Writer();
  w.int16(version);
  encodeConsumerProtocolAssignment(w, version, {
    assignedPartitions: Object.entries(partitions).map(([topic, p]) => ({ topic, partitions: p })),
    userData: null,
  });
  return w.toBytes();
}
