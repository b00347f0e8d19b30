// The in-memory session store (Kafka's InMemorySessionStore plus its change-logging layer): session
// aggregates by key and session [start, end], segmented by session end so retention drops whole
// segments as the observed stream time (the largest session end put) moves on, every change logged
// as Kafka's session-store changelog bytes (key, end, start), and restore from those bytes
// (session-store-base.ts).
import { copyBytes } from "../bytes.ts";
import type { KeyValue, Windowed } from "./store.ts";
import { SessionStoreBase, type SessionStoreOptions } from "./session-store-base.ts";
import { keyId, TimeSegments } from "./time-segments.ts";
import { windowedStoreBuilder, type WindowedStoreBuilder } from "./windowed-store-builder.ts";

export type { TimeOrderedSessionStore } from "./session-store-base.ts";

export type InMemorySessionStoreOptions<K, V> = SessionStoreOptions<K, V>;

interface KeySessions {
  readonly keyBytes: Uint8Array;
  /** Session start → aggregate bytes. */
  readonly starts: Map<number, Uint8Array>;
}

type Found<K, V> = KeyValue<Windowed<K>, V>;

export class InMemorySessionStore<K, V> extends SessionStoreBase<K, V> {
  readonly persistent = false;
  /** Session end → key id → that key's sessions ending there; and each key's session ends, ascending. */
  private readonly segments: TimeSegments<KeySessions>;
  /** Adds a key's sessions ending at `endMs` that start at or before `latestStartMs`, start descending (Kafka's order). */
  private readonly pushSessions: (
    out: Found<K, V>[],
    sessions: KeySessions,
    endMs: number,
    latestStartMs: number,
  ) => void;

  constructor(options: InMemorySessionStoreOptions<K, V>) {
    super(options);
    this.segments = new TimeSegments(options.retentionMs);
    this.pushSessions = (out, sessions, endMs, latestStartMs) => {
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
    };
  }

  fetchSession(key: K, startMs: number, endMs: number): V | undefined {
    this.segments.expire(this.observedStreamTimeMs);
    if (endMs <= this.observedStreamTimeMs - this.retentionMs) return undefined;
    const id = keyId(this.keySerde.serialize(key, this.serdeContext));
    const bytes = this.segments.get(endMs, id)?.starts.get(startMs);
    return bytes === undefined ? undefined : this.valueSerde.deserialize(bytes, this.serdeContext);
  }

  override findSessionsByEndTime(earliestEndMs: number, latestEndMs: number): Found<K, V>[] {
    return this.scanByEnd(earliestEndMs, latestEndMs);
  }

  override all(): Found<K, V>[] {
    return this.scanByEnd(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  }

  restoredOffset(): number | undefined {
    return undefined;
  }

  checkpoint(_changelogOffset: number): void {}

  flush(): void {}

  close(): void {
    this.segments.clear();
  }

  protected applyPut(keyBytes: Uint8Array, startMs: number, endMs: number, valueBytes: Uint8Array): boolean {
    this.segments.expire(this.observedStreamTimeMs);
    this.observedStreamTimeMs = Math.max(this.observedStreamTimeMs, endMs);
    if (endMs <= this.observedStreamTimeMs - this.retentionMs) {
      this.expiredDropped += 1;
      return false;
    }
    const id = keyId(keyBytes);
    let sessions = this.segments.get(endMs, id);
    if (sessions === undefined) {
      sessions = { keyBytes: copyBytes(keyBytes), starts: new Map() };
      this.segments.add(endMs, id, sessions);
    }
    sessions.starts.set(startMs, copyBytes(valueBytes));
    return true;
  }

  protected applyRemove(keyBytes: Uint8Array, startMs: number, endMs: number): void {
    const id = keyId(keyBytes);
    const sessions = this.segments.get(endMs, id);
    if (sessions === undefined || !sessions.starts.delete(startMs)) return;
    if (sessions.starts.size === 0) this.segments.delete(endMs, id);
  }

  protected findKeySessions(key: K, earliestEndMs: number, latestStartMs: number, forward: boolean): Found<K, V>[] {
    this.segments.expire(this.observedStreamTimeMs);
    const id = keyId(this.keySerde.serialize(key, this.serdeContext));
    const out = this.segments.collectKey(
      id,
      earliestEndMs,
      Number.POSITIVE_INFINITY,
      [],
      this.pushSessions,
      latestStartMs,
    );
    return forward ? out : out.reverse();
  }

  protected scanByEnd(earliestEndMs: number, latestEndMs: number): Found<K, V>[] {
    this.segments.expire(this.observedStreamTimeMs);
    return this.segments.collect(earliestEndMs, latestEndMs, [], this.pushSessions, Number.MAX_SAFE_INTEGER);
  }
}

/** `Stores.inMemorySessionStore(...)`: Kafka's `Stores.sessionStoreBuilder(Stores.inMemorySessionStore(name, retention), keySerde, valueSerde)`. */
export function inMemorySessionStore<K, V>(
  options: InMemorySessionStoreOptions<K, V>,
): WindowedStoreBuilder<InMemorySessionStore<K, V>> {
  return windowedStoreBuilder(options, () => new InMemorySessionStore(options));
}
