// The ACL bindings, kept in `acls.json` in the data directory and replaced atomically (write,
// fsync, rename) on every CreateAcls/DeleteAcls, like the SCRAM credentials: a single node has no
// metadata quorum to replicate them through, the set is small and read once at startup.
import type { StorageBackend } from "../storage/backend.ts";
import { bindingKey, invalidBinding } from "./acl.ts";
import type { AclBinding, AclFilter } from "./acl.ts";
import { filterMatches } from "./acl.ts";

export class AclStoreError extends Error {
  override readonly name = "AclStoreError";
}

export class AclStore {
  private readonly backend: StorageBackend;
  private readonly path: string;
  private readonly bindings: Map<string, AclBinding>;
  private writing: Promise<void> = Promise.resolve();

  private constructor(backend: StorageBackend, path: string, bindings: Map<string, AclBinding>) {
    this.backend = backend;
    this.path = path;
    this.bindings = bindings;
  }

  static async open(options: { backend: StorageBackend; dataDir: string }): Promise<AclStore> {
    const path = `${options.dataDir}/acls.json`;
    const bytes = await options.backend.readFile(path);
    const bindings = new Map<string, AclBinding>();
    if (bytes !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new AclStoreError(`${path} is corrupt`);
      }
      const all = (parsed as { acls?: unknown }).acls;
      if (!Array.isArray(all)) throw new AclStoreError(`${path} is corrupt`);
      for (const entry of all as unknown[]) {
        const b = entry as AclBinding;
        if (
          typeof entry !== "object" ||
          entry === null ||
          typeof b.resourceName !== "string" ||
          typeof b.principal !== "string" ||
          typeof b.host !== "string" ||
          invalidBinding(b) !== undefined
        ) {
          throw new AclStoreError(`${path} is corrupt (${JSON.stringify(entry)})`);
        }
        const binding: AclBinding = {
          resourceType: b.resourceType,
          resourceName: b.resourceName,
          patternType: b.patternType,
          principal: b.principal,
          host: b.host,
          operation: b.operation,
          permission: b.permission,
        };
        bindings.set(bindingKey(binding), binding);
      }
    }
    return new AclStore(options.backend, path, bindings);
  }

  /** Every binding (live view; do not keep across awaits). */
  all(): IterableIterator<AclBinding> {
    return this.bindings.values();
  }

  list(): AclBinding[] {
    return [...this.bindings.values()];
  }

  get size(): number {
    return this.bindings.size;
  }

  matching(filter: AclFilter): AclBinding[] {
    return this.list().filter((b) => filterMatches(filter, b));
  }

  /** Adds bindings (an existing one is kept once) and makes them durable before resolving. */
  async add(bindings: readonly AclBinding[]): Promise<void> {
    for (const b of bindings) this.bindings.set(bindingKey(b), b);
    await this.persist();
  }

  /** Removes the bindings each filter matches; returns them per filter, durable before resolving. */
  async remove(filters: readonly AclFilter[]): Promise<AclBinding[][]> {
    const removed = filters.map((f) => this.matching(f));
    for (const list of removed) for (const b of list) this.bindings.delete(bindingKey(b));
    if (removed.some((list) => list.length > 0)) await this.persist();
    return removed;
  }

  private async persist(): Promise<void> {
    const snapshot = new TextEncoder().encode(JSON.stringify({ version: 1, acls: this.list() }) + "\n");
    const write = this.writing.then(() => this.backend.writeFileAtomic(this.path, snapshot));
    this.writing = write.catch(() => undefined);
    await write;
  }
}
