// Stream–table and stream–global-table joins (Kafka's KStreamKTableJoin, KStreamGlobalKTableJoin
// and their KStreamKTableJoinProcessor): each stream record looks up the table's current row for
// its key (or, for a global table, for the key the mapper chooses) when it arrives; table updates
// trigger nothing. Inner joins drop records without a row; left joins join them with null. Records
// with a null value, or without a key to look up, are dropped — except that a left join passes a
// record whose lookup key is null (Kafka ≥ 3.7), joined with null.
import type { Logger } from "../logger.ts";
import type { Processor, ProcessorContext, ProcessorSupplier } from "../processor.ts";
import type { StreamRecord } from "../record.ts";
import type { TableValueGetter, TableValueGetterSupplier } from "./table-value-getter.ts";

export interface StreamTableJoinOptions<K, V, KT, VT, VOut> {
  readonly table: TableValueGetterSupplier<KT, VT>;
  /** The table key to look up (the stream key for KTables; the user's mapper for global tables). */
  readonly keyMapper: (key: K, value: V) => KT | null | undefined;
  /** Called with the table's value, or null when there is none (left joins). */
  readonly joiner: (key: K, value: NonNullable<V>, tableValue: VT | null, tableKey: KT | null) => VOut;
  readonly leftJoin: boolean;
  readonly logger: Logger;
}

class StreamTableJoinProcessor<K, V, KT, VT, VOut> implements Processor<K, V, K, VOut> {
  readonly #options: StreamTableJoinOptions<K, V, KT, VT, VOut>;
  #context!: ProcessorContext<K, VOut>;
  #table!: TableValueGetter<KT, VT>;

  constructor(options: StreamTableJoinOptions<K, V, KT, VT, VOut>) {
    this.#options = options;
  }

  init(context: ProcessorContext<K, VOut>): void {
    this.#context = context;
    this.#table = this.#options.table.create(context);
  }

  process(record: StreamRecord<K, V>): void {
    const options = this.#options;
    const value = record.value;
    // Kafka calls the mapper before looking at the value (so a mapper may see a null value).
    const mapped = options.keyMapper(record.key, value);
    const tableKey = mapped === undefined ? null : mapped;
    if (value === null || value === undefined || (tableKey === null && !options.leftJoin)) {
      const metadata = this.#context.recordMetadata;
      options.logger.log("warn", "Skipping record due to null join key or value", {
        task: `${this.#context.taskId.subtopology}_${this.#context.taskId.partition}`,
        topic: metadata?.topic,
        partition: metadata?.partition,
        offset: metadata?.offset,
      });
      return;
    }
    const row = tableKey === null ? undefined : this.#table.get(tableKey);
    if (row === undefined && !options.leftJoin) return;
    this.#context.forward({
      key: record.key,
      value: options.joiner(record.key, value, row === undefined ? null : row.value, tableKey),
      timestampMs: record.timestampMs,
      headers: record.headers,
    });
  }
}

export function streamTableJoinProcessor<K, V, KT, VT, VOut>(
  options: StreamTableJoinOptions<K, V, KT, VT, VOut>,
): ProcessorSupplier<K, V, K, VOut> {
  return () => new StreamTableJoinProcessor(options);
}
