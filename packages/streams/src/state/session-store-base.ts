// What the in-memory and persistent session stores share: their options and validation, the
// observed stream time retention is measured from (the largest session end put), puts and removes
// logged as Kafka's session-store changelog bytes (key, end, start), and restore from them. A
// backend keeps only how it stores, expires and reads sessions.
import type { Serde } from "../serdes.ts";
import type { ChangelogRecord, KeyValue, SessionStore, Windowed } from "./store.ts";
import { parseSessionKey, sessionKeyBytes } from "./window-key-schema.ts";
import { WindowedStoreCore } from "./windowed-store-core.ts";

/** A session store that can also list sessions by end time across keys (emit-final needs it) and newest-first. */
export interface TimeOrderedSessionStore<K, V> extends SessionStore<K, V> {
  /** Sessions of every key ending in [earliestEndMs, latestEndMs]: by end, then key bytes, then start descending. */
  findSessionsByEndTime(earliestEndMs: number, latestEndMs: number): Iterable<KeyValue<Windowed<K>, V>>;
  /** As `findSessions`, in reverse order. */
  backwardFindSessions(key: K, earliestEndMs: number, latestStartMs: number): Iterable<KeyValue<Windowed<K>, V>>;
}

export interface SessionStoreOptions<K, V> {
  readonly name: string;
  /** Sessions ending at or before (observed stream time − retentionMs) are dropped. */
  readonly retentionMs: number;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
}

export abstract class SessionStoreBase<K, V> extends WindowedStoreCore<K, V> implements TimeOrderedSessionStore<K, V> {
  abstract readonly persistent: boolean;

  put(session: Windowed<K>, value: V): void {
    const keyBytes = this.keySerde.serialize(session.key, this.serdeContext);
    const valueBytes = this.valueSerde.serialize(value, this.serdeContext);
    const { startMs, endMs } = session.window;
    // Logged even when dropped as expired, as Kafka's logging layer does (a restore drops it again).
    this.applyPut(keyBytes, startMs, endMs, valueBytes);
    this.log(keyBytes, startMs, endMs, valueBytes);
  }

  remove(session: Windowed<K>): void {
    const keyBytes = this.keySerde.serialize(session.key, this.serdeContext);
    this.applyRemove(keyBytes, session.window.startMs, session.window.endMs);
    this.log(keyBytes, session.window.startMs, session.window.endMs, null);
  }

  /** Sessions of `key` ending at or after `earliestEndMs` and starting at or before `latestStartMs`: by end, then start descending. */
  findSessions(key: K, earliestEndMs: number, latestStartMs: number): KeyValue<Windowed<K>, V>[] {
    return this.findKeySessions(key, earliestEndMs, latestStartMs, true);
  }

  backwardFindSessions(key: K, earliestEndMs: number, latestStartMs: number): KeyValue<Windowed<K>, V>[] {
    return this.findKeySessions(key, earliestEndMs, latestStartMs, false);
  }

  /** Every session of `key`. */
  fetch(key: K): KeyValue<Windowed<K>, V>[] {
    return this.findKeySessions(key, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  }

  /** Sessions of every key ending in [earliestEndMs, latestEndMs]: by end, then key bytes, then start descending. */
  findSessionsByEndTime(earliestEndMs: number, latestEndMs: number): Iterable<KeyValue<Windowed<K>, V>> {
    return this.scanByEnd(earliestEndMs, latestEndMs);
  }

  /** Every session, by end, then key bytes, then start descending. */
  all(): Iterable<KeyValue<Windowed<K>, V>> {
    return this.scanByEnd(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  }

  /** Applies changelog records (a backend then makes them durable). */
  restore(records: readonly ChangelogRecord[]): void {
    for (const record of records) {
      const parsed = parseSessionKey(record.key);
      if (record.value === null) this.applyRemove(parsed.keyBytes, parsed.startMs, parsed.endMs);
      else this.applyPut(parsed.keyBytes, parsed.startMs, parsed.endMs, record.value);
    }
  }

  abstract fetchSession(key: K, startMs: number, endMs: number): V | undefined;
  abstract restoredOffset(): number | undefined;
  abstract checkpoint(changelogOffset: number): void;
  abstract flush(): void;
  abstract close(): void;

  /** Applies a put to the backend; false when dropped because the session had expired. */
  protected abstract applyPut(keyBytes: Uint8Array, startMs: number, endMs: number, valueBytes: Uint8Array): boolean;
  protected abstract applyRemove(keyBytes: Uint8Array, startMs: number, endMs: number): void;
  protected abstract findKeySessions(
    key: K,
    earliestEndMs: number,
    latestStartMs: number,
    forward: boolean,
  ): KeyValue<Windowed<K>, V>[];
  protected abstract scanByEnd(earliestEndMs: number, latestEndMs: number): Iterable<KeyValue<Windowed<K>, V>>;

  private log(keyBytes: Uint8Array, startMs: number, endMs: number, valueBytes: Uint8Array | null): void {
    if (this.changelog === undefined) return;
    this.changelog({
      key: sessionKeyBytes(keyBytes, startMs, endMs),
      value: valueBytes,
      // Kafka stamps the timestamp of the record being processed; outside a task, the session end (not
      // 0: the changelog's retention deletes by time).
      timestampMs: this.recordTimestampMs?.() ?? endMs,
    });
  }
}
