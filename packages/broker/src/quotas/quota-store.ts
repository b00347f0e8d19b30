// Client quotas as configured with AlterClientQuotas: byte-rate and request-time limits for users, client ids and
// (user, client id) pairs, each name possibly the default entity (`<default>`, a null name in the
// protocol). Which entity applies to a request follows Kafka's order, most specific first, per
// quota key. Kept in one small file in the data directory, replaced atomically on every change, as
// the SCRAM credentials are (security/credential-store.ts): a single node has no metadata quorum.
import type { StorageBackend } from "../storage/backend.ts";

/** The quota keys Samsa enforces. */
export const quotaKeys = [
  "producer_byte_rate",
  "consumer_byte_rate",
  "request_percentage",
  "connection_creation_rate",
] as const;
export type QuotaKey = (typeof quotaKeys)[number];

export function isQuotaKey(key: string): key is QuotaKey {
  return (quotaKeys as readonly string[]).includes(key);
}

/**
 * A quota entity. A component that is absent (undefined) is not part of the entity; null is the
 * default entity of that type; a string is a name.
 */
export interface QuotaEntity {
  readonly user?: string | null;
  readonly clientId?: string | null;
  /** An IP address (connection_creation_rate only), never combined with user or client id. */
  readonly ip?: string | null;
}

export interface QuotaEntry {
  readonly entity: QuotaEntity;
  readonly values: ReadonlyMap<QuotaKey, number>;
}

/** The quota that applies to a request, and the key its rate is measured under. */
export interface ResolvedQuota {
  readonly bound: number;
  /** Clients sharing this key share one rate (e.g. all client ids of a user with a user quota). */
  readonly sensorKey: string;
}

export class QuotaStoreError extends Error {
  override readonly name = "QuotaStoreError";
}

export function entityKey(entity: QuotaEntity): string {
  const parts = [entity.user === undefined ? 0 : entity.user, entity.clientId === undefined ? 0 : entity.clientId];
  return JSON.stringify(entity.ip === undefined ? parts : [...parts, entity.ip]);
}

/** Kafka's order, most specific first: the (user, client id) level, then user, then client id. */
function candidates(user: string, clientId: string): QuotaEntity[] {
  return [
    { user, clientId },
    { user, clientId: null },
    { user },
    { user: null, clientId },
    { user: null, clientId: null },
    { user: null },
    { clientId },
    { clientId: null },
  ];
}

interface StoredEntry {
  user?: string | null;
  clientId?: string | null;
  ip?: string | null;
  quotas: Record<string, number>;
}

export class ClientQuotaStore {
  private readonly backend: StorageBackend | undefined;
  private readonly path: string;
  private readonly entries = new Map<string, { entity: QuotaEntity; values: Map<QuotaKey, number> }>();
  /** How many entities set each key: 0 lets the request path skip quotas entirely. */
  private readonly keyCounts = new Map<QuotaKey, number>();
  private readonly resolved = new Map<string, ResolvedQuota | null>();
  private writing: Promise<void> = Promise.resolve();

  /** A store kept in memory only, or durable when given a backend and path. */
  constructor(options: { backend?: StorageBackend; path?: string } = {}) {
    this.backend = options.backend;
    this.path = options.path ?? "";
  }

  static async open(options: { backend: StorageBackend; dataDir: string }): Promise<ClientQuotaStore> {
    const path = `${options.dataDir}/client-quotas.json`;
    const store = new ClientQuotaStore({ backend: options.backend, path });
    const bytes = await options.backend.readFile(path);
    if (bytes === undefined) return store;
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new QuotaStoreError(`${path} is corrupt`);
    }
    const list = (parsed as { entries?: unknown }).entries;
    if (!Array.isArray(list)) throw new QuotaStoreError(`${path} is corrupt`);
    for (const raw of list as StoredEntry[]) {
      const okName = (n: unknown): boolean => n === undefined || n === null || typeof n === "string";
      if (
        typeof raw !== "object" ||
        !okName(raw.user) ||
        !okName(raw.clientId) ||
        !okName(raw.ip) ||
        typeof raw.quotas !== "object"
      ) {
        throw new QuotaStoreError(`${path} is corrupt`);
      }
      const entity: QuotaEntity = {
        ...(raw.user === undefined ? {} : { user: raw.user }),
        ...(raw.clientId === undefined ? {} : { clientId: raw.clientId }),
        ...(raw.ip === undefined ? {} : { ip: raw.ip }),
      };
      for (const [key, value] of Object.entries(raw.quotas)) {
        if (isQuotaKey(key) && typeof value === "number") store.set(entity, key, value);
      }
    }
    return store;
  }

  /** True when some entity sets `key`: the cheap check made on every produce and fetch. */
  has(key: QuotaKey): boolean {
    return (this.keyCounts.get(key) ?? 0) > 0;
  }

  /** The quota for `key` that applies to this user and client id, by Kafka's precedence; undefined for none. */
  resolve(key: QuotaKey, user: string, clientId: string): ResolvedQuota | undefined {
    if (!this.has(key)) return undefined;
    const cacheKey = `${key}\u0000${user}\u0000${clientId}`;
    const cached = this.resolved.get(cacheKey);
    if (cached !== undefined) return cached ?? undefined;
    let found: ResolvedQuota | null = null;
    for (const entity of candidates(user, clientId)) {
      const bound = this.entries.get(entityKey(entity))?.values.get(key);
      if (bound === undefined) continue;
      // Defaults are measured per actual name: each user under users/<default> has a rate of its own.
      const tags = [entity.user === undefined ? "" : user, entity.clientId === undefined ? "" : clientId];
      found = { bound, sensorKey: JSON.stringify([key, ...tags]) };
      break;
    }
    if (this.resolved.size > 10_000) this.resolved.clear();
    this.resolved.set(cacheKey, found);
    return found ?? undefined;
  }

  /** The connection_creation_rate for connections from `ip` (its own entity, else the default ip). */
  resolveIp(ip: string): ResolvedQuota | undefined {
    const key = "connection_creation_rate";
    if (!this.has(key)) return undefined;
    for (const entity of [{ ip }, { ip: null }]) {
      const bound = this.entries.get(entityKey(entity))?.values.get(key);
      if (bound !== undefined) return { bound, sensorKey: JSON.stringify([key, ip]) };
    }
    return undefined;
  }

  /** Every entity with at least one quota. */
  list(): QuotaEntry[] {
    return [...this.entries.values()].map((e) => ({ entity: e.entity, values: new Map(e.values) }));
  }

  get(entity: QuotaEntity): ReadonlyMap<QuotaKey, number> | undefined {
    return this.entries.get(entityKey(entity))?.values;
  }

  /** Applies changes (a null value removes the key) and makes them durable before resolving. */
  async apply(changes: readonly { entity: QuotaEntity; key: QuotaKey; value: number | null }[]): Promise<void> {
    for (const c of changes) {
      if (c.value === null) this.remove(c.entity, c.key);
      else this.set(c.entity, c.key, c.value);
    }
    if (this.backend === undefined) return;
    const backend = this.backend;
    const snapshot = this.serialize();
    const write = this.writing.then(() => backend.writeFileAtomic(this.path, snapshot));
    this.writing = write.catch(() => undefined);
    await write;
  }

  private set(entity: QuotaEntity, key: QuotaKey, value: number): void {
    const k = entityKey(entity);
    let entry = this.entries.get(k);
    if (entry === undefined) this.entries.set(k, (entry = { entity, values: new Map() }));
    if (!entry.values.has(key)) this.keyCounts.set(key, (this.keyCounts.get(key) ?? 0) + 1);
    entry.values.set(key, value);
    this.resolved.clear();
  }

  private remove(entity: QuotaEntity, key: QuotaKey): void {
    const k = entityKey(entity);
    const entry = this.entries.get(k);
    if (entry === undefined || !entry.values.delete(key)) return;
    this.keyCounts.set(key, (this.keyCounts.get(key) ?? 1) - 1);
    if (entry.values.size === 0) this.entries.delete(k);
    this.resolved.clear();
  }

  private serialize(): Uint8Array {
    const entries: StoredEntry[] = [...this.entries.values()].map((e) => ({
      ...(e.entity.user === undefined ? {} : { user: e.entity.user }),
      ...(e.entity.clientId === undefined ? {} : { clientId: e.entity.clientId }),
      ...(e.entity.ip === undefined ? {} : { ip: e.entity.ip }),
      quotas: Object.fromEntries(e.values),
    }));
    return new TextEncoder().encode(JSON.stringify({ version: 1, entries }) + "\n");
  }
}
