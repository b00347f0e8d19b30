// The SCRAM credentials of every user: salt, iteration count, StoredKey and ServerKey per user and
// mechanism (never a password). Kept in one small file in the data directory, replaced atomically
// on every change (write, fsync, rename): a single node has no metadata quorum to replicate to, the
// set is tiny and read once at startup, and a file cannot be compacted away or read by a consumer
// the way an internal topic could.
import type { StorageBackend } from "../storage/backend.ts";
import { scramMechanisms } from "./scram.ts";
import type { ScramCredential, ScramMechanismName } from "./scram.ts";

type UserCredentials = Map<ScramMechanismName, ScramCredential>;

export class CredentialStoreError extends Error {
  override readonly name = "CredentialStoreError";
}

interface StoredCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

export class ScramCredentialStore {
  private readonly backend: StorageBackend;
  private readonly path: string;
  private readonly users: Map<string, UserCredentials>;
  private writing: Promise<void> = Promise.resolve();

  private constructor(backend: StorageBackend, path: string, users: Map<string, UserCredentials>) {
    this.backend = backend;
    this.path = path;
    this.users = users;
  }

  static async open(options: { backend: StorageBackend; dataDir: string }): Promise<ScramCredentialStore> {
    const path = `${options.dataDir}/scram-credentials.json`;
    const bytes = await options.backend.readFile(path);
    const users = new Map<string, UserCredentials>();
    if (bytes !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new CredentialStoreError(`${path} is corrupt`);
      }
      const all = (parsed as { users?: unknown }).users;
      if (typeof all !== "object" || all === null) throw new CredentialStoreError(`${path} is corrupt`);
      for (const [user, byMechanism] of Object.entries(all as Record<string, unknown>)) {
        const credentials: UserCredentials = new Map();
        for (const m of scramMechanisms) {
          const c = (byMechanism as Record<string, StoredCredential | undefined>)[m.name];
          if (c === undefined) continue;
          if (typeof c.salt !== "string" || !Number.isSafeInteger(c.iterations)) {
            throw new CredentialStoreError(`${path} is corrupt (user ${user})`);
          }
          credentials.set(m.name, {
            salt: Buffer.from(c.salt, "base64"),
            iterations: c.iterations,
            storedKey: Buffer.from(c.storedKey, "base64"),
            serverKey: Buffer.from(c.serverKey, "base64"),
          });
        }
        if (credentials.size > 0) users.set(user, credentials);
      }
    }
    return new ScramCredentialStore(options.backend, path, users);
  }

  get(user: string, mechanism: ScramMechanismName): ScramCredential | undefined {
    return this.users.get(user)?.get(mechanism);
  }

  /** Users with at least one credential, and the mechanisms and iteration counts they have. */
  describe(user: string): { mechanism: ScramMechanismName; iterations: number }[] | undefined {
    const credentials = this.users.get(user);
    if (credentials === undefined) return undefined;
    return [...credentials].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations }));
  }

  userNames(): string[] {
    return [...this.users.keys()].sort();
  }

  /** Applies upserts and deletions together and makes them durable before resolving. */
  async apply(changes: {
    upserts: readonly { user: string; mechanism: ScramMechanismName; credential: ScramCredential }[];
    deletions: readonly { user: string; mechanism: ScramMechanismName }[];
  }): Promise<void> {
    for (const d of changes.deletions) {
      const credentials = this.users.get(d.user);
      credentials?.delete(d.mechanism);
      if (credentials?.size === 0) this.users.delete(d.user);
    }
    for (const u of changes.upserts) {
      let credentials = this.users.get(u.user);
      if (credentials === undefined)
        this.users.set(u.user, (credentials = new Map<ScramMechanismName, ScramCredential>()));
      credentials.set(u.mechanism, u.credential);
    }
    const snapshot = this.serialize();
    const write = this.writing.then(() => this.backend.writeFileAtomic(this.path, snapshot));
    this.writing = write.catch(() => undefined);
    await write;
  }

  private serialize(): Uint8Array {
    const users: Record<string, Record<string, StoredCredential>> = {};
    for (const [user, credentials] of this.users) {
      const out: Record<string, StoredCredential> = {};
      for (const [mechanism, c] of credentials) {
        out[mechanism] = {
          salt: Buffer.from(c.salt).toString("base64"),
          iterations: c.iterations,
          storedKey: Buffer.from(c.storedKey).toString("base64"),
          serverKey: Buffer.from(c.serverKey).toString("base64"),
        };
      }
      users[user] = out;
    }
    return new TextEncoder().encode(JSON.stringify({ version: 1, users }) + "\n");
  }
}
