// The in-memory key-value store (Kafka's InMemoryKeyValueStore with its change-logging and
// metered layers folded in): entries kept serialized and ordered by key bytes, every change sent
// to the changelog, and restore from changelog records.
//
// Why sorted-btree: range() and all() must iterate in key-byte order (Kafka's Bytes order), so a
// hash map would need a sort per scan. sorted-btree is a mature, dependency-free B+ tree with a
// comparator, O(log n) get/set/delete and an O(1) copy-on-write clone(), which gives iterators a
// consistent snapshot while the processor keeps writing (Kafka's in-memory store iterates over a
// copy of its key set for the same reason).
import sortedBtree from "sorted-btree";
import { copyBytes, readInt64BE, writeInt64BE } from "../bytes.ts";
import type { Serde, SerdeContext } from "../serdes.ts";
import type { ChangelogRecord, ChangelogSink, KeyValue, KeyValueStore, StoreBuilder, StoreContext } from "./store.ts";

const BTree = sortedBtree.default;
type Tree = InstanceType<typeof BTree<Uint8Array, Uint8Array>>;

/** Kafka's Bytes.compareTo: unsigned lexicographic order, shorter prefix first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  // A JS loop: keys are short, and Buffer.compare's native call and argument checks cost more.
  const length = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < length; i++) {
    const diff = (a[i] as number) - (b[i] as number);
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}

/** Bytes of Kafka's ValueAndTimestamp layout: an 8-byte big-endian timestamp before the value. */
const TIMESTAMP_BYTES = 8;

export interface KeyValueStoreOptions<K, V> {
  readonly name: string;
  readonly key: Serde<K>;
  readonly value: Serde<V>;
  /**
   * Changelog: on (default) or off, or on with configs for the topic (added to
   * `cleanup.policy=compact`).
   */
  readonly logging?: boolean | { readonly configs: Readonly<Record<string, string>> };
  /**
   * Values are Kafka's ValueAndTimestamp bytes (the DSL's stores): the changelog then carries the
   * plain value with the timestamp as the record's, as Kafka's timestamped stores log them.
   */
  readonly timestamped?: boolean;
}

export class InMemoryKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  readonly persistent = false;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;
  readonly #timestamped: boolean;
  #tree: Tree = new BTree<Uint8Array, Uint8Array>(undefined, compareBytes);
  #open = false;
  #changelog: ChangelogSink | undefined;
  #recordTimestampMs: (() => number) | undefined;
  #serdeContext: SerdeContext;
  // One-entry cache of the last primitive key's bytes: get-then-put of the same key (every
  // aggregation) serializes the key once.
  #lastKey: unknown = undefined;
  #lastKeyBytes: Uint8Array | undefined;

  constructor(options: KeyValueStoreOptions<K, V>) {
    this.name = options.name;
    this.#keySerde = options.key;
    this.#valueSerde = options.value;
    this.#timestamped = options.timestamped ?? false;
    this.#serdeContext = { topic: options.name, headers: [] };
  }

  /** Whether values carry Kafka's ValueAndTimestamp layout (see KeyValueStoreOptions.timestamped). */
  get timestamped(): boolean {
    return this.#timestamped;
  }

  init(context: StoreContext): void {
    this.#changelog = context.changelog;
    this.#recordTimestampMs = context.recordTimestampMs;
    // Store serdes see the changelog topic's name, as Kafka's StateSerdes do.
    this.#serdeContext = { topic: `${context.applicationId}-${this.name}-changelog`, headers: [] };
    this.#open = true;
  }

  get(key: K): V | undefined {
    this.#assertOpen();
    const bytes = this.#tree.get(this.#keyBytes(key));
    return bytes === undefined ? undefined : this.#valueSerde.deserialize(bytes, this.#serdeContext);
  }

  put(key: K, value: V): void {
    this.#assertOpen();
    const keyBytes = this.#keyBytes(key);
    const valueBytes = this.#valueSerde.serialize(value, this.#serdeContext);
    this.#tree.set(keyBytes, valueBytes);
    if (this.#changelog !== undefined) this.#log(keyBytes, valueBytes);
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const previous = this.get(key);
    if (previous === undefined) this.put(key, value);
    return previous;
  }

  delete(key: K): V | undefined {
    this.#assertOpen();
    const keyBytes = this.#keyBytes(key);
    const previous = this.#tree.get(keyBytes);
    this.#tree.delete(keyBytes);
    // Logged even when absent, as Kafka's ChangeLoggingKeyValueBytesStore does.
    if (this.#changelog !== undefined) this.#log(keyBytes, null);
    return previous === undefined ? undefined : this.#valueSerde.deserialize(previous, this.#serdeContext);
  }

  range(from?: K, to?: K): Iterable<KeyValue<K, V>> {
    this.#assertOpen();
    const fromBytes = from === undefined ? undefined : this.#keySerde.serialize(from, this.#serdeContext);
    const toBytes = to === undefined ? undefined : this.#keySerde.serialize(to, this.#serdeContext);
    // Kafka returns nothing (and warns) for an inverted range.
    if (fromBytes !== undefined && toBytes !== undefined && compareBytes(fromBytes, toBytes) > 0) return [];
    return this.#scan(this.#tree.clone(), fromBytes, toBytes);
  }

  all(): Iterable<KeyValue<K, V>> {
    this.#assertOpen();
    return this.#scan(this.#tree.clone(), undefined, undefined);
  }

  approximateNumEntries(): number {
    return this.#tree.size;
  }

  restore(records: readonly ChangelogRecord[]): void {
    for (const record of records) {
      // Copies: the records' bytes may be views of a fetch buffer.
      const keyBytes = copyBytes(record.key);
      if (record.value === null) {
        this.#tree.delete(keyBytes);
      } else if (this.#timestamped) {
        const valueBytes = new Uint8Array(TIMESTAMP_BYTES + record.value.byteLength);
        writeInt64BE(valueBytes, 0, record.timestampMs);
        valueBytes.set(record.value, TIMESTAMP_BYTES);
        this.#tree.set(keyBytes, valueBytes);
      } else {
        this.#tree.set(keyBytes, copyBytes(record.value));
      }
    }
    this.#lastKey = undefined;
    this.#lastKeyBytes = undefined;
  }

  restoredOffset(): number | undefined {
    return undefined;
  }

  checkpoint(_changelogOffset: number): void {}

  flush(): void {}

  close(): void {
    this.#open = false;
    this.#tree.clear();
    this.#lastKey = undefined;
    this.#lastKeyBytes = undefined;
  }

  #assertOpen(): void {
    if (!this.#open) throw new Error(`state store ${this.name} is not open (not initialised, or closed)`);
  }

  #keyBytes(key: K): Uint8Array {
    if (typeof key !== "object" && key === this.#lastKey && this.#lastKeyBytes !== undefined) return this.#lastKeyBytes;
    const bytes = this.#keySerde.serialize(key, this.#serdeContext);
    if (typeof key !== "object") {
      this.#lastKey = key;
      this.#lastKeyBytes = bytes;
    }
    return bytes;
  }

  #log(key: Uint8Array, valueBytes: Uint8Array | null): void {
    const changelog = this.#changelog as ChangelogSink;
    if (this.#timestamped && valueBytes !== null) {
      changelog({ key, value: valueBytes.subarray(TIMESTAMP_BYTES), timestampMs: readInt64BE(valueBytes, 0) ?? -1 });
    } else {
      changelog({ key, value: valueBytes, timestampMs: this.#recordTimestampMs?.() ?? 0 });
    }
  }

  *#scan(tree: Tree, from: Uint8Array | undefined, to: Uint8Array | undefined): Generator<KeyValue<K, V>> {
    for (const [keyBytes, valueBytes] of tree.entries(from)) {
      if (to !== undefined && compareBytes(keyBytes, to) > 0) return;
      yield {
        key: this.#keySerde.deserialize(keyBytes, this.#serdeContext),
        value: this.#valueSerde.deserialize(valueBytes, this.#serdeContext),
      };
    }
  }
}

/** Kafka's `cleanup.policy` for key-value changelogs: only the latest value per key matters. */
export const KEY_VALUE_CHANGELOG_CONFIGS: Readonly<Record<string, string>> = { "cleanup.policy": "compact" };

/** Resolves the logging option shared by key-value store builders into StoreBuilder fields. */
export function keyValueLogging(logging: KeyValueStoreOptions<unknown, unknown>["logging"]): {
  readonly logged: boolean;
  readonly changelogConfigs: Readonly<Record<string, string>>;
} {
  if (logging === false) return { logged: false, changelogConfigs: {} };
  const configs = typeof logging === "object" ? logging.configs : {};
  return { logged: true, changelogConfigs: { ...KEY_VALUE_CHANGELOG_CONFIGS, ...configs } };
}

/** A builder of in-memory key-value stores, one per task; logged unless `logging: false`. */
export function inMemoryKeyValueStore<K, V>(options: KeyValueStoreOptions<K, V>): StoreBuilder<KeyValueStore<K, V>> {
  const { logged, changelogConfigs } = keyValueLogging(options.logging);
  return {
    name: options.name,
    logged,
    changelogConfigs,
    build: () => new InMemoryKeyValueStore(options),
  };
}
