// KTable–KTable joins on the primary key (Kafka's KTableKTableInnerJoin / LeftJoin / OuterJoin /
// RightJoin and KTableKTableJoinMerger). Each side has a processor that joins its table's changes
// with the other table's current row (read through that table's value getter); both feed a merge
// node, which keeps the result's store when it is materialized. Results carry the larger of the
// two rows' timestamps; a change that leaves no joined row is forwarded as a delete, so a row that
// stops joining becomes a tombstone downstream. Old values are computed (by joining the side's old
// value with the other row) only when a downstream operation asked for them.
import type { Logger } from "../logger.ts";
import type { Processor, ProcessorContext, ProcessorSupplier } from "../processor.ts";
import type { StreamRecord } from "../record.ts";
import type { ValueAndTimestamp } from "../state/window-key-schema.ts";
import type { Change } from "./change.ts";
import type { TableChangeSource, TimestampedKeyValueStore } from "./table-processors.ts";
import type { TableValueGetter, TableValueGetterSupplier } from "./table-value-getter.ts";

/**
 * How one side joins (Kafka's processor classes): `inner`, `left` (this side's rows are kept),
 * `outer` (both sides' rows are kept) and `right` (the other side's rows are kept: the right side
 * of a left join).
 */
export type TableJoinSideKind = "inner" | "left" | "outer" | "right";

/** A joiner oriented for one side: (this side's value, the other side's value); undefined: no row. */
export type SideJoiner<V1, V2, VR> = (thisValue: V1 | undefined, otherValue: V2 | undefined) => VR | undefined;

/** No timestamp (Kafka's UNKNOWN): a missing row's timestamp in max(). */
const UNKNOWN_TIMESTAMP_MS = -1;

/**
 * State shared by a join's two side processors and its merge node (Kafka's sendOldValues flags of
 * KTableKTableAbstractJoin and KTableKTableJoinMerger, always enabled together): asking the
 * result for old values makes both input tables send theirs (they materialize if they must).
 */
export class TableJoinState implements TableChangeSource {
  sendOldValues = false;
  /** The result's store, when the join is materialized. */
  readonly storeName: string | undefined;
  readonly #left: TableChangeSource;
  readonly #right: TableChangeSource;

  constructor(options: {
    readonly left: TableChangeSource;
    readonly right: TableChangeSource;
    readonly storeName: string | undefined;
  }) {
    this.#left = options.left;
    this.#right = options.right;
    this.storeName = options.storeName;
  }

  enableSendingOldValues(_forceMaterialization: boolean): boolean {
    this.#left.enableSendingOldValues(true);
    this.#right.enableSendingOldValues(true);
    this.sendOldValues = true;
    return true;
  }
}

export function warnNullKey(logger: Logger, context: ProcessorContext<unknown, unknown>, reason = "null key"): void {
  const metadata = context.recordMetadata;
  logger.log("warn", `Skipping record due to ${reason}`, {
    task: `${context.taskId.subtopology}_${context.taskId.partition}`,
    topic: metadata?.topic,
    partition: metadata?.partition,
    offset: metadata?.offset,
  });
}

class TableTableJoinProcessor<K, V1, V2, VR> implements Processor<K, Change<V1>, K, Change<VR>> {
  #context!: ProcessorContext<K, Change<VR>>;
  #other!: TableValueGetter<K, V2>;
  readonly #kind: TableJoinSideKind;
  readonly #otherGetter: TableValueGetterSupplier<K, V2>;
  readonly #joiner: SideJoiner<V1, V2, VR>;
  readonly #state: TableJoinState;
  readonly #logger: Logger;

  constructor(options: {
    readonly kind: TableJoinSideKind;
    readonly other: TableValueGetterSupplier<K, V2>;
    readonly joiner: SideJoiner<V1, V2, VR>;
    readonly state: TableJoinState;
    readonly logger: Logger;
  }) {
    this.#kind = options.kind;
    this.#otherGetter = options.other;
    this.#joiner = options.joiner;
    this.#state = options.state;
    this.#logger = options.logger;
  }

  init(context: ProcessorContext<K, Change<VR>>): void {
    this.#context = context;
    this.#other = this.#otherGetter.create(context);
  }

  process(record: StreamRecord<K, Change<V1>>): void {
    if (record.key === null || record.key === undefined) {
      warnNullKey(this.#logger, this.#context);
      return;
    }
    const change = record.value;
    const other = this.#other.get(record.key);
    const otherValue = other?.value;
    const sendOld = this.#state.sendOldValues;
    let newValue: VR | undefined;
    let oldValue: VR | undefined;
    let timestampMs: number;
    switch (this.#kind) {
      case "inner":
        if (other === undefined) return;
        timestampMs = Math.max(record.timestampMs, other.timestampMs);
        if (change.newValue !== undefined) newValue = this.#joiner(change.newValue, otherValue);
        if (sendOld && change.oldValue !== undefined) oldValue = this.#joiner(change.oldValue, otherValue);
        break;
      case "left":
        if (other === undefined && change.newValue === undefined && change.oldValue === undefined) return;
        timestampMs = Math.max(record.timestampMs, other?.timestampMs ?? UNKNOWN_TIMESTAMP_MS);
        if (change.newValue !== undefined) newValue = this.#joiner(change.newValue, otherValue);
        if (sendOld && change.oldValue !== undefined) oldValue = this.#joiner(change.oldValue, otherValue);
        break;
      case "right":
        // This side is the optional one: a missing row joins the other side's row with nothing.
        if (other === undefined) return;
        timestampMs = Math.max(record.timestampMs, other.timestampMs);
        newValue = this.#joiner(change.newValue, otherValue);
        if (sendOld) oldValue = this.#joiner(change.oldValue, otherValue);
        break;
      case "outer":
        if (other === undefined && change.newValue === undefined && change.oldValue === undefined) return;
        timestampMs = other === undefined ? record.timestampMs : Math.max(record.timestampMs, other.timestampMs);
        if (other !== undefined || change.newValue !== undefined) newValue = this.#joiner(change.newValue, otherValue);
        if (sendOld && (other !== undefined || change.oldValue !== undefined)) {
          oldValue = this.#joiner(change.oldValue, otherValue);
        }
        break;
    }
    this.#context.forward({ key: record.key, value: { newValue, oldValue }, timestampMs, headers: record.headers });
  }
}

/** One side of a table–table join: this side's changes joined with the other table's rows. */
export function tableTableJoinProcessor<K, V1, V2, VR>(options: {
  readonly kind: TableJoinSideKind;
  readonly other: TableValueGetterSupplier<K, V2>;
  readonly joiner: SideJoiner<V1, V2, VR>;
  readonly state: TableJoinState;
  readonly logger: Logger;
}): ProcessorSupplier<K, Change<V1>, K, Change<VR>> {
  return () => new TableTableJoinProcessor(options);
}

class TableJoinMergeProcessor<K, V> implements Processor<K, Change<V>, K, Change<V>> {
  #context!: ProcessorContext<K, Change<V>>;
  #store: TimestampedKeyValueStore<K, V> | undefined;
  readonly #state: TableJoinState;

  constructor(state: TableJoinState) {
    this.#state = state;
  }

  init(context: ProcessorContext<K, Change<V>>): void {
    this.#context = context;
    if (this.#state.storeName !== undefined) this.#store = context.getStateStore(this.#state.storeName);
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const { newValue, oldValue } = record.value;
    if (this.#store !== undefined) {
      if (newValue === undefined) this.#store.delete(record.key);
      else this.#store.put(record.key, { value: newValue, timestampMs: record.timestampMs });
    }
    this.#context.forward({
      ...record,
      value: { newValue, oldValue: this.#state.sendOldValues ? oldValue : undefined },
    });
  }
}

/** Kafka's KTableKTableJoinMerger: both sides' results as one table (stored when materialized). */
export function tableJoinMergeProcessor<K, V>(state: TableJoinState): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => new TableJoinMergeProcessor<K, V>(state);
}

/**
 * The join's rows computed from both tables' getters (Kafka's join value getters, used when the
 * result is not materialized), for `kind` of the left (this) side: inner, left or outer.
 */
export function joinedValueGetter<K, V1, V2, VR>(options: {
  readonly kind: "inner" | "left" | "outer";
  readonly left: TableValueGetterSupplier<K, V1>;
  readonly right: TableValueGetterSupplier<K, V2>;
  readonly joiner: SideJoiner<V1, V2, VR>;
}): TableValueGetterSupplier<K, VR> {
  const { kind, left, right, joiner } = options;
  return {
    storeNames: [...new Set([...left.storeNames, ...right.storeNames])],
    create(context) {
      const leftGetter = left.create(context);
      const rightGetter = right.create(context);
      return {
        get(key: K): ValueAndTimestamp<VR> | undefined {
          const leftRow = leftGetter.get(key);
          if (kind !== "outer" && leftRow === undefined) return undefined;
          const rightRow = rightGetter.get(key);
          if (kind === "inner" && rightRow === undefined) return undefined;
          if (leftRow === undefined && rightRow === undefined) return undefined;
          const value = joiner(leftRow?.value, rightRow?.value);
          if (value === undefined) return undefined;
          const timestampMs = Math.max(
            leftRow?.timestampMs ?? UNKNOWN_TIMESTAMP_MS,
            rightRow?.timestampMs ?? UNKNOWN_TIMESTAMP_MS,
          );
          return { value, timestampMs };
        },
      };
    },
  };
}
