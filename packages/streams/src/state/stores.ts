// The store factory (Kafka's Stores): one builder function per kind of store, each in its own file
// and listed here. `keyValueStore` is the DSL's choice between them (Materialized.storeType).
import type { KeyValueStore, StoreBuilder } from "./store.ts";
import { inMemoryKeyValueStore, type KeyValueStoreOptions } from "./in-memory-kv-store.ts";
import { inMemorySessionStore } from "./in-memory-session-store.ts";
import { inMemoryTimestampedWindowStore, inMemoryWindowStore } from "./in-memory-window-store.ts";
import { persistentKeyValueStore } from "./persistent-kv-store.ts";
import { persistentSessionStore } from "./persistent-session-store.ts";
import { persistentTimestampedWindowStore, persistentWindowStore } from "./persistent-window-store.ts";

/** Kafka's Materialized.StoreType: IN_MEMORY or ROCKS_DB (here: persistent, on local disk). */
export type StoreType = "in-memory" | "persistent";

export const Stores = {
  /** `Stores.inMemoryKeyValueStore({ name: "counts", key: Serdes.string(), value: Serdes.long() })`. */
  inMemoryKeyValueStore,
  /** The same on local disk (node:sqlite), checkpointed against its changelog. */
  persistentKeyValueStore,
  inMemoryWindowStore,
  inMemoryTimestampedWindowStore,
  persistentWindowStore,
  persistentTimestampedWindowStore,
  inMemorySessionStore,
  persistentSessionStore,

  /** A key-value store builder of the given type (what the DSL materializes tables with). */
  keyValueStore<K, V>(type: StoreType, options: KeyValueStoreOptions<K, V>): StoreBuilder<KeyValueStore<K, V>> {
    switch (type) {
      case "in-memory":
        return inMemoryKeyValueStore(options);
      case "persistent":
        return persistentKeyValueStore(options);
    }
  },
} as const;

export type { KeyValueStoreOptions };
