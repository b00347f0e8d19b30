// The in-memory session store (Kafka's InMemorySessionStore plus its change-logging layer): session
// aggregates by key and session [start, end], segmented by session end so retention drops whole
// segments as the observed stream time (the largest session end put) moves on, every change logged
// as Kafka's session-store changelog bytes (key, end, start), and restore from those bytes.
import { copyBytes } from "../bytes.ts";
import type { Serde, SerdeContext } from "../serdes.ts";
import type { ChangelogRecord, ChangelogSink, KeyValue, SessionStore, StoreContext, Windowed } from "./store.ts";
import { insertSorted, keyId, lowerBound, removeSorted, WindowedStoreBuilder } from "./in-memory-window-store.ts";
import { parseSessionKey, sessionKeyBytes } from "./window-key-schema.ts";

/** A session store that can also list sessions by end time across keys (emit-final needs it) and newest-first. */
export interface TimeOrderedSessionStore<K, V> extends SessionStore<K, V> {
  /** Sessions of every key ending in [earliestEndMs, latestEndMs]: by end, then key bytes, then start descending. */
  findSessionsByEndTime(earliestEndMs: number, latestEndMs: number): Iterable<KeyValue<Windowed<K>, V>>;
  /** As `findSessions`, in reverse order. */
  backwardFindSessions(key: K, earliestEndMs: number, latestStartMs: number): Iterable<KeyValue<Windowed<K>, V>>;
}

export interface InMemorySessionStoreOptions<K, V> {
  readonly name: string;
  /** Sessions ending at or before (observed stream time − retentionMs) are dropped. */
  readonly retentionMs: number;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
}

interface KeySessions {
  readonly keyBytes: Uint8Array;
  /** Session start → aggregate bytes. */
  readonly starts: Map<number, Uint8Array>;
}

export class InMemorySessionStore<K, V> implements TimeOrderedSessionStore<K, V> {
  readonly name: string;
  readonly persistent = false;
  readonly retentionMs: number;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  /** Session end → key id → that key's sessions ending there. */
  private readonly segments = new Map<number, Map<string, KeySessions>>();
  /** Session ends of `segments`, ascending. */
  private readonly segmentEnds: number[] = [];
  /** Key id → the session ends it has sessions at, ascending. */
  private readonly endsByKey = new Map<string, number[]>();
  private observedStreamTimeMs = -1;
  private changelog: ChangelogSink | undefined;
  private recordTimestampMs: (() => number) | undefined;
  private serdeContext: SerdeContext;
  private expiredDropped = 0;

  constructor(options: InMemorySessionStoreOptions<K, V>) {
    if (!Number.isSafeInteger(options.retentionMs) || options.retentionMs < 0) {
      throw new RangeError(`retentionMs must be a non-negative integer, got ${options.retentionMs}`);
    }
    this.name = options.name;
    this.retentionMs = options.retentionMs;
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
    this.serdeContext = { topic: options.name, headers: [] };
  }

  init(context: StoreContext): void {
    this.changelog = context.changelog;
    this.recordTimestampMs = context.recordTimestampMs;
    this.serdeContext = { topic: `${context.applicationId}-${this.name}-changelog`, headers: [] };
  }

  /** Sessions dropped because they had already expired when put (Kafka's dropped-records sensor). */
  get expiredRecordsDropped(): number {
    return this.expiredDropped;
  }

  /** The largest session end put so far (-1 before any): what retention is measured from. */
  get observedStreamTime(): number {
    return this.observedStreamTimeMs;
  }

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
    this.applyRemove(keyId(keyBytes), session.window.startMs, session.window.endMs);
    this.log(keyBytes, session.window.startMs, session.window.endMs, null);
  }

  fetchSession(key: K, startMs: number, endMs: number): V | undefined {
    this.removeExpiredSegments();
    if (endMs <= this.observedStreamTimeMs - this.retentionMs) return undefined;
    const id = keyId(this.keySerde.serialize(key, this.serdeContext));
    const bytes = this.segments.get(endMs)?.get(id)?.starts.get(startMs);
    return bytes === undefined ? undefined : this.valueSerde.deserialize(bytes, this.serdeContext);
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

  findSessionsByEndTime(earliestEndMs: number, latestEndMs: number): KeyValue<Windowed<K>, V>[] {
    this.removeExpiredSegments();
    const out: KeyValue<Windowed<K>, V>[] = [];
    const ends = this.segmentEnds;
    for (let i = lowerBound(ends, earliestEndMs); i < ends.length && (ends[i] as number) <= latestEndMs; i++) {
      const endMs = ends[i] as number;
      const segment = this.segments.get(endMs);
      if (segment === undefined) continue;
      for (const id of [...segment.keys()].sort()) {
        const sessions = segment.get(id);
        if (sessions !== undefined) this.pushSessions(out, sessions, endMs, Number.MAX_SAFE_INTEGER);
      }
    }
    return out;
  }

  /** Every session, by end, then key bytes, then start descending. */
  all(): KeyValue<Windowed<K>, V>[] {
    return this.findSessionsByEndTime(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  }

  restore(records: readonly ChangelogRecord[]): void {
    for (const record of records) {
      const parsed = parseSessionKey(record.key);
      if (record.value === null) this.applyRemove(keyId(parsed.keyBytes), parsed.startMs, parsed.endMs);
      else this.applyPut(parsed.keyBytes, parsed.startMs, parsed.endMs, record.value);
    }
  }

  restoredOffset(): number | undefined {
    return undefined;
  }

  checkpoint(_changelogOffset: number): void {}

  flush(): void {}

  close(): void {
    this.segments.clear();
    this.segmentEnds.length = 0;
    this.endsByKey.clear();
  }

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

  /** Applies a put to memory; false when dropped because the session had expired. */
  private applyPut(keyBytes: Uint8Array, startMs: number, endMs: number, valueBytes: Uint8Array): boolean {
    this.removeExpiredSegments();
    this.observedStreamTimeMs = Math.max(this.observedStreamTimeMs, endMs);
    if (endMs <= this.observedStreamTimeMs - this.retentionMs) {
      this.expiredDropped += 1;
      return false;
    }
    const id = keyId(keyBytes);
    let segment = this.segments.get(endMs);
    if (segment === undefined) {
      segment = new Map();
      this.segments.set(endMs, segment);
      insertSorted(this.segmentEnds, endMs);
    }
    let sessions = segment.get(id);
    if (sessions === undefined) {
      sessions = { keyBytes: copyBytes(keyBytes), starts: new Map() };
      segment.set(id, sessions);
      let ends = this.endsByKey.get(id);
      if (ends === undefined) {
        ends = [];
        this.endsByKey.set(id, ends);
      }
      insertSorted(ends, endMs);
    }
    sessions.starts.set(startMs, copyBytes(valueBytes));
    return true;
  }

  private applyRemove(id: string, startMs: number, endMs: number): void {
    const segment = this.segments.get(endMs);
    const sessions = segment?.get(id);
    if (segment === undefined || sessions === undefined || !sessions.starts.delete(startMs)) return;
    if (sessions.starts.size > 0) return;
    segment.delete(id);
    const ends = this.endsByKey.get(id);
    if (ends !== undefined) {
      removeSorted(ends, endMs);
      if (ends.length === 0) this.endsByKey.delete(id);
    }
    if (segment.size === 0) {
      this.segments.delete(endMs);
      removeSorted(this.segmentEnds, endMs);
    }
  }

  /** Drops every segment whose session end is at or before observed stream time − retention. */
  private removeExpiredSegments(): void {
    const minLiveMs = Math.max(0, this.observedStreamTimeMs - this.retentionMs + 1);
    let expired = 0;
    while (expired < this.segmentEnds.length && (this.segmentEnds[expired] as number) < minLiveMs) {
      const endMs = this.segmentEnds[expired] as number;
      for (const id of this.segments.get(endMs)?.keys() ?? []) {
        const ends = this.endsByKey.get(id);
        if (ends === undefined) continue;
        if (ends[0] === endMs) ends.shift();
        else removeSorted(ends, endMs);
        if (ends.length === 0) this.endsByKey.delete(id);
      }
      this.segments.delete(endMs);
      expired += 1;
    }
    if (expired > 0) this.segmentEnds.splice(0, expired);
  }

  private findKeySessions(
    key: K,
    earliestEndMs: number,
    latestStartMs: number,
    forward: boolean,
  ): KeyValue<Windowed<K>, V>[] {
    this.removeExpiredSegments();
    const id = keyId(this.keySerde.serialize(key, this.serdeContext));
    const ends = this.endsByKey.get(id);
    if (ends === undefined) return [];
    const out: KeyValue<Windowed<K>, V>[] = [];
    for (let i = lowerBound(ends, earliestEndMs); i < ends.length; i++) {
      const endMs = ends[i] as number;
      const sessions = this.segments.get(endMs)?.get(id);
      if (sessions !== undefined) this.pushSessions(out, sessions, endMs, latestStartMs);
    }
    return forward ? out : out.reverse();
  }

  /** Adds a key's sessions ending at `endMs` that start at or before `latestStartMs`, start descending (Kafka's order). */
  private pushSessions(out: KeyValue<Windowed<K>, V>[], sessions: KeySessions, endMs: number, latestStartMs: number) {
    const starts = [...sessions.starts.keys()].filter((startMs) => startMs <= latestStartMs).sort((a, b) => b - a);
    if (starts.length === 0) return;
    const key = this.keySerde.deserialize(sessions.keyBytes, this.serdeContext);
    for (const startMs of starts) {
      const bytes = sessions.starts.get(startMs) as Uint8Array;
      out.push({
        key: { key, window: { startMs, endMs } },
        value: this.valueSerde.deserialize(bytes, this.serdeContext),
      });
    }
  }
}

/** `Stores.inMemorySessionStore(...)`: Kafka's `Stores.sessionStoreBuilder(Stores.inMemorySessionStore(name, retention), keySerde, valueSerde)`. */
export function inMemorySessionStore<K, V>(
  options: InMemorySessionStoreOptions<K, V>,
): WindowedStoreBuilder<InMemorySessionStore<K, V>> {
  new InMemorySessionStore(options); // validates the options when the topology is built
  return new WindowedStoreBuilder({
    name: options.name,
    retentionMs: options.retentionMs,
    create: () => new InMemorySessionStore(options),
  });
}
