// Stream–stream windowed joins (Kafka's KStreamJoinWindow, KStreamKStreamJoin and its left and
// right sides, Kafka ≥ 3.1 semantics). Each side's records are kept in a window store that retains
// duplicates (the "windowed" processors put them); a record of one side joins the other side's
// stored records with its key within the join window. Left and outer joins do not emit an unmatched
// record at once: it waits in a shared "outer" store, keyed by timestamp, side and key, until stream
// time (shared by both sides of one task) has passed its window's end plus grace — then it is
// emitted with null for the missing side, unless a record of the other side joined it meanwhile.
import type { Logger } from "../logger.ts";
import type { Processor, ProcessorContext, ProcessorSupplier } from "../processor.ts";
import type { StreamRecord } from "../record.ts";
import { SerializationError, type Serde, type SerdeContext } from "../serdes.ts";
import type { KeyValueStore, WindowStore } from "../state/store.ts";

/** Kafka's internal config of the throttle on scans of the outer store (wall-clock ms; default 1000). */
export const OUTER_JOIN_EMIT_INTERVAL_CONFIG = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__";
const DEFAULT_OUTER_JOIN_EMIT_INTERVAL_MS = 1000;

/** The outer store's key (Kafka's TimestampedKeyAndJoinSide): ordered by timestamp, then side (right first), then key bytes. */
export interface TimestampedKeyAndJoinSide<K> {
  readonly timestampMs: number;
  readonly leftSide: boolean;
  readonly key: K;
}

/** An unmatched record's value in the outer store (Kafka's LeftOrRightValue). */
export interface LeftOrRightValue<VL, VR> {
  readonly leftSide: boolean;
  readonly value: VL | VR;
}

/** Kafka's TimestampedKeyAndJoinSideSerializer bytes: {8-byte big-endian timestamp}{1: left, 0: right}{key}. */
export function timestampedKeyAndJoinSideSerde<K>(keySerde: Serde<K>): Serde<TimestampedKeyAndJoinSide<K>> {
  return {
    serialize(data, context) {
      const keyBytes = keySerde.serialize(data.key, context);
      const out = new Uint8Array(9 + keyBytes.length);
      new DataView(out.buffer).setBigInt64(0, BigInt(data.timestampMs));
      out[8] = data.leftSide ? 1 : 0;
      out.set(keyBytes, 9);
      return out;
    },
    deserialize(bytes, context) {
      if (bytes.length < 9) throw new SerializationError("outer join store key: fewer than 9 bytes");
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return {
        timestampMs: Number(view.getBigInt64(0)),
        leftSide: bytes[8] === 1,
        key: keySerde.deserialize(bytes.subarray(9), context),
      };
    },
  };
}

// Kafka's ListSerializer with a variable-size inner serde: {strategy byte 1}{int32 count}({int32 length}{bytes})*.
const VARIABLE_SIZE_STRATEGY = 1;

/**
 * The outer store's values: the list of a key's unmatched records (Kafka's ListValueStore over a
 * list serde of LeftOrRightValueSerializer bytes: {1: left, 0: right}{value}).
 */
export function leftOrRightListSerde<VL, VR>(
  leftSerde: Serde<VL>,
  rightSerde: Serde<VR>,
): Serde<readonly LeftOrRightValue<VL, VR>[]> {
  const encode = (item: LeftOrRightValue<VL, VR>, context: SerdeContext): Uint8Array => {
    const raw = item.leftSide
      ? leftSerde.serialize(item.value as VL, context)
      : rightSerde.serialize(item.value as VR, context);
    const out = new Uint8Array(raw.length + 1);
    out[0] = item.leftSide ? 1 : 0;
    out.set(raw, 1);
    return out;
  };
  return {
    serialize(list, context) {
      const items = list.map((item) => encode(item, context));
      const out = new Uint8Array(5 + items.reduce((sum, item) => sum + 4 + item.length, 0));
      const view = new DataView(out.buffer);
      out[0] = VARIABLE_SIZE_STRATEGY;
      view.setInt32(1, items.length);
      let at = 5;
      for (const item of items) {
        view.setInt32(at, item.length);
        out.set(item, at + 4);
        at += 4 + item.length;
      }
      return out;
    },
    deserialize(bytes, context) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (bytes.length < 5 || bytes[0] !== VARIABLE_SIZE_STRATEGY) {
        throw new SerializationError("outer join store value: not a variable-size list");
      }
      const count = view.getInt32(1);
      const list: LeftOrRightValue<VL, VR>[] = [];
      let at = 5;
      for (let i = 0; i < count; i++) {
        if (at + 4 > bytes.length) throw new SerializationError("outer join store value: truncated list");
        const length = view.getInt32(at);
        if (length < 1 || at + 4 + length > bytes.length) {
          throw new SerializationError("outer join store value: bad entry length");
        }
        const leftSide = bytes[at + 4] === 1;
        const raw = bytes.subarray(at + 5, at + 4 + length);
        list.push({
          leftSide,
          value: leftSide ? leftSerde.deserialize(raw, context) : rightSerde.deserialize(raw, context),
        });
        at += 4 + length;
      }
      return list;
    },
  };
}

/** Kafka's KStreamJoinWindow: forwards each record, then keeps it (if it has a key) in its side's join store. */
export function joinWindowProcessor<K, V>(storeName: string): ProcessorSupplier<K, V, K, V> {
  return () => {
    let context!: ProcessorContext<K, V>;
    let store!: WindowStore<NonNullable<K>, NonNullable<V>>;
    return {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore(storeName);
      },
      process(record) {
        context.forward(record);
        const { key, value } = record;
        // A null value is put as a delete: a no-op in a store with duplicates (Kafka logs it all the same).
        if (key !== null && key !== undefined) store.put(key, value ?? undefined, record.timestampMs);
      },
    };
  };
}

/** Stream time and outer-store bookkeeping shared by the two sides of a join in one task (Kafka's TimeTracker). */
class TimeTracker {
  emitIntervalMs = DEFAULT_OUTER_JOIN_EMIT_INTERVAL_MS;
  streamTimeMs = -1;
  /** The smallest timestamp that may be in the outer store (MAX: none). */
  minTimeMs = Number.MAX_SAFE_INTEGER;
  nextTimeToEmitMs = 0;
}

export interface StreamStreamJoinOptions<K, VL, VR, VOut> {
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly graceMs: number;
  /** leftJoin and outerJoin: unmatched left records are emitted. */
  readonly leftOuter: boolean;
  /** outerJoin: unmatched right records are emitted. */
  readonly rightOuter: boolean;
  readonly leftStoreName: string;
  readonly rightStoreName: string;
  /** The shared store of unmatched records (left and outer joins). */
  readonly outerStoreName: string | undefined;
  readonly joiner: (key: K, left: VL | null, right: VR | null) => VOut;
  readonly logger: Logger;
}

/** The two join processors (Kafka's KStreamKStreamJoinLeftSide and RightSide), sharing a time tracker per task. */
export function streamStreamJoinProcessors<K, VL, VR, VOut>(
  options: StreamStreamJoinOptions<K, VL, VR, VOut>,
): {
  readonly left: ProcessorSupplier<K, VL, K, VOut>;
  readonly right: ProcessorSupplier<K, VR, K, VOut>;
} {
  const trackers = new Map<string, { tracker: TimeTracker; users: number }>();
  const side = <VThis>(leftSide: boolean): ProcessorSupplier<K, VThis, K, VOut> => {
    return () =>
      new StreamStreamJoinProcessor<K, VL, VR, VThis, VOut>(options, leftSide, {
        acquire(taskId) {
          let entry = trackers.get(taskId);
          if (entry === undefined) {
            entry = { tracker: new TimeTracker(), users: 0 };
            trackers.set(taskId, entry);
          }
          entry.users += 1;
          return entry.tracker;
        },
        release(taskId) {
          const entry = trackers.get(taskId);
          if (entry !== undefined && --entry.users <= 0) trackers.delete(taskId);
        },
      });
  };
  return { left: side<VL>(true), right: side<VR>(false) };
}

interface TrackerRegistry {
  acquire(taskId: string): TimeTracker;
  release(taskId: string): void;
}

type OuterStore<K, VL, VR> = KeyValueStore<TimestampedKeyAndJoinSide<K>, readonly LeftOrRightValue<VL, VR>[]>;

class StreamStreamJoinProcessor<K, VL, VR, VThis, VOut> implements Processor<K, VThis, K, VOut> {
  readonly #options: StreamStreamJoinOptions<K, VL, VR, VOut>;
  readonly #leftSide: boolean;
  readonly #trackers: TrackerRegistry;
  /** This side's join window: other-side records from t − before to t + after (swapped for the right side). */
  readonly #joinBeforeMs: number;
  readonly #joinAfterMs: number;
  /** leftJoin/outerJoin for the left side, outerJoin for the right side. */
  readonly #outer: boolean;
  #context!: ProcessorContext<K, VOut>;
  #otherStore!: WindowStore<K, unknown>;
  #outerStore: OuterStore<K, VL, VR> | undefined;
  #tracker!: TimeTracker;
  #taskId = "";

  constructor(options: StreamStreamJoinOptions<K, VL, VR, VOut>, leftSide: boolean, trackers: TrackerRegistry) {
    this.#options = options;
    this.#leftSide = leftSide;
    this.#trackers = trackers;
    this.#joinBeforeMs = leftSide ? options.beforeMs : options.afterMs;
    this.#joinAfterMs = leftSide ? options.afterMs : options.beforeMs;
    this.#outer = leftSide ? options.leftOuter : options.rightOuter;
  }

  init(context: ProcessorContext<K, VOut>): void {
    this.#context = context;
    this.#otherStore = context.getStateStore(
      this.#leftSide ? this.#options.rightStoreName : this.#options.leftStoreName,
    );
    this.#taskId = `${context.taskId.subtopology}_${context.taskId.partition}`;
    this.#tracker = this.#trackers.acquire(this.#taskId);
    const outerStoreName = this.#options.outerStoreName;
    if (outerStoreName !== undefined) {
      this.#outerStore = context.getStateStore(outerStoreName);
      const configured = context.appConfigs()[OUTER_JOIN_EMIT_INTERVAL_CONFIG];
      this.#tracker.emitIntervalMs =
        configured !== undefined && /^\d+$/.test(configured) ? Number(configured) : DEFAULT_OUTER_JOIN_EMIT_INTERVAL_MS;
    }
  }

  process(record: StreamRecord<K, VThis>): void {
    const tracker = this.#tracker;
    const timestampMs = record.timestampMs;
    // Stream time moves with every record, even one skipped below.
    tracker.streamTimeMs = Math.max(tracker.streamTimeMs, timestampMs);
    const key = record.key;
    const value = record.value;
    const keyMissing = key === null || key === undefined;
    const valueMissing = value === null || value === undefined;
    if (this.#outer && keyMissing && !valueMissing) {
      // Kafka ≥ 3.7: a record without a key cannot join anything; left/outer joins emit it at once.
      this.#forward(record, key, this.#join(key, value, null), timestampMs);
      return;
    }
    if (keyMissing || valueMissing) {
      this.#skip("Skipping record due to null key or value");
      return;
    }
    const outerStore = this.#outerStore;
    if (outerStore !== undefined && timestampMs === tracker.streamTimeMs) this.#emitNonJoined(outerStore, record);

    const fromMs = Math.max(0, timestampMs - this.#joinBeforeMs);
    const toMs = Math.max(0, timestampMs + this.#joinAfterMs);
    const matches = this.#otherStore.fetchRange(key, fromMs, toMs);
    let matched = false;
    for (const match of matches) {
      matched = true;
      const otherTimestampMs = match.key.window.startMs;
      if (outerStore !== undefined) {
        // The other record has now joined: drop it (and any duplicates at its time) from the outer store.
        const otherKey = { timestampMs: otherTimestampMs, leftSide: !this.#leftSide, key };
        if (outerStore.get(otherKey) !== undefined) outerStore.delete(otherKey);
      }
      this.#forward(record, key, this.#join(key, value, match.value), Math.max(timestampMs, otherTimestampMs));
    }
    if (!this.#outer || matched) return;
    // Unmatched: emitted now if its window has closed already (an out-of-order record), else kept
    // in the outer store until it closes — or until a record of the other side joins it.
    if (outerStore === undefined || toMs < tracker.streamTimeMs) {
      this.#forward(record, key, this.#join(key, value, null), timestampMs);
    } else {
      tracker.minTimeMs = Math.min(tracker.minTimeMs, timestampMs);
      const thisKey = { timestampMs, leftSide: this.#leftSide, key };
      const thisValue: LeftOrRightValue<VL, VR> = { leftSide: this.#leftSide, value: value as unknown as VL | VR };
      outerStore.put(thisKey, [...(outerStore.get(thisKey) ?? []), thisValue]);
    }
  }

  close(): void {
    this.#trackers.release(this.#taskId);
  }

  /** The user's joiner with this side's value and the other side's in their places. */
  #join(key: K, thisValue: unknown, otherValue: unknown): VOut {
    return this.#leftSide
      ? this.#options.joiner(key, thisValue as VL | null, otherValue as VR | null)
      : this.#options.joiner(key, otherValue as VL | null, thisValue as VR | null);
  }

  #forward(record: StreamRecord<K, VThis>, key: K, value: VOut, timestampMs: number): void {
    this.#context.forward({ key, value, timestampMs, headers: record.headers });
  }

  /** Emits the unmatched records whose window (plus grace) has closed, oldest first (Kafka's emitNonJoinedOuterRecords). */
  #emitNonJoined(store: OuterStore<K, VL, VR>, record: StreamRecord<K, VThis>): void {
    const tracker = this.#tracker;
    const graceMs = this.#options.graceMs;
    // Nothing can have closed yet.
    if (tracker.minTimeMs + this.#joinAfterMs + graceMs >= tracker.streamTimeMs) return;
    // Scans are throttled by wall-clock time (Kafka's spurious-results-fix emit interval).
    const nowMs = this.#context.currentSystemTimeMs();
    if (nowMs < tracker.nextTimeToEmitMs) return;
    tracker.nextTimeToEmitMs = nowMs + tracker.emitIntervalMs;
    tracker.minTimeMs = Number.MAX_SAFE_INTEGER;

    let previous: TimestampedKeyAndJoinSide<K> | undefined;
    let leftOpen = false;
    let rightOpen = false;
    scan: for (const entry of store.all()) {
      const storeKey = entry.key;
      for (const item of entry.value) {
        tracker.minTimeMs = storeKey.timestampMs;
        // Windows close in timestamp order per side: once both sides have an open one, nothing after is due.
        if (leftOpen && rightOpen) break scan;
        // A left record's window ends `after` past it, a right record's `before` past it.
        const lookBackMs = storeKey.leftSide ? this.#options.afterMs : this.#options.beforeMs;
        if (storeKey.timestampMs + lookBackMs + graceMs >= tracker.streamTimeMs) {
          if (storeKey.leftSide) leftOpen = true;
          else rightOpen = true;
          continue;
        }
        const left = item.leftSide ? (item.value as VL) : null;
        const right = item.leftSide ? null : (item.value as VR);
        this.#context.forward({
          key: storeKey.key,
          value: this.#options.joiner(storeKey.key, left, right),
          timestampMs: storeKey.timestampMs,
          headers: record.headers,
        });
        // A key is deleted once all of its values are emitted (so a failure midway re-emits, never loses).
        if (previous !== undefined && previous !== storeKey) store.delete(previous);
        previous = storeKey;
      }
    }
    if (previous !== undefined) store.delete(previous);
  }

  #skip(message: string): void {
    const metadata = this.#context.recordMetadata;
    this.#options.logger.log("warn", message, {
      task: this.#taskId,
      topic: metadata?.topic,
      partition: metadata?.partition,
      offset: metadata?.offset,
    });
  }
}
