// Embedded-store benchmark behind the choice of the persistent state stores' engine: synchronous
// put / get / range of N small entries (default 1M, SAMSA_BENCH_STORE_ENTRIES) and a crash test
// (a child process killed with SIGKILL mid-writes, then reopened and checked for torn commits), for
// Node's built-in node:sqlite, the persistent key-value store built on it, and, when installed
// (`npm install --no-save lmdb classic-level`), lmdb (lmdb-js) and classic-level (LevelDB).
// Prints a table; the numbers are quoted in DESIGN.md ("Persistent state stores").
// Run: node packages/streams/bench/stores.bench.ts [--crash-rounds 10] [--skip-crash]
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Serde } from "../src/serdes.ts";
import { persistentKeyValueStore } from "../src/state/persistent-kv-store.ts";

const entries = Number(process.env["SAMSA_BENCH_STORE_ENTRIES"] ?? 1_000_000);
const commitEvery = 10_000; // writes between two commits (a busy commit interval)
const keyBytes = 16;
const valueBytes = 32;
const shortRanges = 10_000;
const shortRangeLength = 100;

// ---------------------------------------------------------------------------------------------
// The engines, behind one small synchronous-where-possible interface.

interface Engine {
  readonly name: string;
  /** Writes `count` entries from `keyAt`/`valueAt`, committing every `commitEvery`. */
  load(keyAt: (i: number) => Uint8Array, valueAt: (i: number) => Uint8Array, count: number): Promise<void>;
  get(key: Uint8Array): Promise<Uint8Array | undefined> | Uint8Array | undefined;
  /** Visits [from, to] in key order, returns how many entries it saw (at most `limit`). */
  range(from: Uint8Array | undefined, to: Uint8Array | undefined, limit: number): Promise<number> | number;
  readonly sync: boolean;
  close(): Promise<void> | void;
}

type EngineFactory = (dir: string) => Promise<Engine>;

function sqliteEngine(dir: string): Promise<Engine> {
  const db = new DatabaseSync(join(dir, "store.db"));
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
  db.exec("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
  const put = db.prepare("INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v");
  const get = db.prepare("SELECT v FROM kv WHERE k = ?");
  const rangeAll = db.prepare("SELECT k, v FROM kv ORDER BY k");
  const rangeFromTo = db.prepare("SELECT k, v FROM kv WHERE k >= ? AND k <= ? ORDER BY k LIMIT ?");
  for (const statement of [get, rangeAll, rangeFromTo]) statement.setReturnArrays(true);
  return Promise.resolve({
    name: "node:sqlite",
    sync: true,
    load(keyAt, valueAt, count) {
      for (let start = 0; start < count; start += commitEvery) {
        db.exec("BEGIN");
        for (let i = start; i < Math.min(count, start + commitEvery); i++) put.run(keyAt(i), valueAt(i));
        db.exec("COMMIT");
      }
      return Promise.resolve();
    },
    get(key) {
      const row = get.get(key) as unknown as [Uint8Array] | undefined;
      return row?.[0];
    },
    range(from, to, limit) {
      const rows = from !== undefined && to !== undefined ? rangeFromTo.iterate(from, to, limit) : rangeAll.iterate();
      let seen = 0;
      for (const row of rows) if (row !== undefined && ++seen >= limit) break;
      return seen;
    },
    close() {
      db.close();
    },
  });
}

/** The store built on the chosen engine, through its public API (serde calls and changelog included). */
function samsaStoreEngine(dir: string): Promise<Engine> {
  const bytes: Serde<Uint8Array> = { serialize: (value) => value, deserialize: (value) => value };
  const store = persistentKeyValueStore({ name: "bench", key: bytes, value: bytes }).build();
  let offset = 0;
  store.init({ applicationId: "bench", partition: 0, stateDir: dir, changelog: () => offset++ });
  return Promise.resolve({
    name: "PersistentKeyValueStore",
    sync: true,
    load(keyAt, valueAt, count) {
      for (let start = 0; start < count; start += commitEvery) {
        for (let i = start; i < Math.min(count, start + commitEvery); i++) store.put(keyAt(i), valueAt(i));
        store.flush();
        store.checkpoint(offset - 1);
      }
      return Promise.resolve();
    },
    get: (key) => store.get(key),
    range(from, to, limit) {
      let seen = 0;
      for (const entry of store.range(from, to)) if (entry !== undefined && ++seen >= limit) break;
      return seen;
    },
    close: () => store.close(),
  });
}

// Optional engines are loaded by name so the benchmark (and tsc) works without them installed.
interface LmdbDatabase {
  get(key: Uint8Array): Uint8Array | undefined;
  putSync(key: Uint8Array, value: Uint8Array): boolean;
  transactionSync<T>(action: () => T): T;
  getRange(options: { start?: Uint8Array; end?: Uint8Array; limit?: number }): Iterable<unknown>;
  close(): Promise<void>;
}
interface LevelDatabase {
  open(): Promise<void>;
  batch(operations: { type: "put"; key: Uint8Array; value: Uint8Array }[], options: { sync: boolean }): Promise<void>;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  iterator(options: { gte?: Uint8Array; lte?: Uint8Array; limit?: number }): AsyncIterable<unknown>;
  close(): Promise<void>;
}

async function importOptional(name: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function lmdbEngine(dir: string): Promise<Engine> {
  const lmdb = await importOptional("lmdb");
  if (lmdb === undefined) throw new Error("lmdb is not installed");
  const open = lmdb["open"] as (options: Record<string, unknown>) => LmdbDatabase;
  // Default durability (a synced commit per transaction), binary keys compared bytewise.
  const db = open({ path: join(dir, "lmdb"), keyEncoding: "binary", encoding: "binary" });
  return {
    name: "lmdb",
    sync: true,
    load(keyAt, valueAt, count) {
      for (let start = 0; start < count; start += commitEvery) {
        db.transactionSync(() => {
          for (let i = start; i < Math.min(count, start + commitEvery); i++) db.putSync(keyAt(i), valueAt(i));
        });
      }
      return Promise.resolve();
    },
    get: (key) => db.get(key),
    range(from, to, limit) {
      let seen = 0;
      const options = from !== undefined && to !== undefined ? { start: from, end: successor(to), limit } : {};
      for (const entry of db.getRange(options)) if (entry !== undefined && ++seen >= limit) break;
      return seen;
    },
    close: () => db.close(),
  };
}

async function levelEngine(dir: string): Promise<Engine> {
  const level = await importOptional("classic-level");
  if (level === undefined) throw new Error("classic-level is not installed");
  const ClassicLevel = level["ClassicLevel"] as new (path: string, options: Record<string, unknown>) => LevelDatabase;
  const db = new ClassicLevel(join(dir, "level"), { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  return {
    name: "classic-level",
    sync: false,
    async load(keyAt, valueAt, count) {
      for (let start = 0; start < count; start += commitEvery) {
        const operations: { type: "put"; key: Uint8Array; value: Uint8Array }[] = [];
        for (let i = start; i < Math.min(count, start + commitEvery); i++)
          operations.push({ type: "put", key: keyAt(i), value: valueAt(i) });
        await db.batch(operations, { sync: true });
      }
    },
    get: (key) => db.get(key),
    async range(from, to, limit) {
      let seen = 0;
      const options = from !== undefined && to !== undefined ? { gte: from, lte: to, limit } : {};
      for await (const entry of db.iterator(options)) if (entry !== undefined && ++seen >= limit) break;
      return seen;
    },
    close: () => db.close(),
  };
}

const engines: Record<string, EngineFactory> = {
  "node:sqlite": sqliteEngine,
  PersistentKeyValueStore: samsaStoreEngine,
  lmdb: lmdbEngine,
  "classic-level": levelEngine,
};

// ---------------------------------------------------------------------------------------------
// Data: keys in a shuffled order (a B-tree's realistic worst case), fixed-size values.

function successor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}

function makeKey(id: number): Uint8Array {
  const key = new Uint8Array(keyBytes);
  const view = new DataView(key.buffer);
  view.setUint32(0, Math.floor(id / 2 ** 32));
  view.setUint32(4, id >>> 0);
  key.fill(0x6b, 8); // "kkkkkkkk": a serialized key is rarely just a number
  return key;
}

function makeValue(i: number): Uint8Array {
  const value = new Uint8Array(valueBytes);
  new DataView(value.buffer).setUint32(0, i);
  return value;
}

function shuffled(count: number, seed: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let state = seed >>> 0;
  for (let i = count - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    const swap = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = swap;
  }
  return order;
}

function diskBytes(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of readdirSync(path)) total += diskBytes(join(path, name));
  return total;
}

interface Row {
  readonly engine: string;
  readonly putPerSec: number;
  readonly getPerSec: number;
  readonly scanPerSec: number;
  readonly shortRangesPerSec: number;
  readonly reopenMs: number;
  readonly diskMb: number;
}

async function measure(name: string, factory: EngineFactory): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), "samsa-stores-bench-"));
  try {
    const order = shuffled(entries, 42);
    const keys = Array.from(order, (id) => makeKey(id));
    let engine = await factory(dir);

    let start = performance.now();
    await engine.load(
      (i) => keys[i] ?? makeKey(0),
      (i) => makeValue(i),
      entries,
    );
    const putPerSec = entries / ((performance.now() - start) / 1000);

    const lookups = shuffled(entries, 7);
    start = performance.now();
    let found = 0;
    for (const id of lookups) {
      const value = engine.sync ? (engine.get(makeKey(id)) as Uint8Array | undefined) : await engine.get(makeKey(id));
      if (value !== undefined) found++;
    }
    const getPerSec = entries / ((performance.now() - start) / 1000);
    if (found !== entries) throw new Error(`${name}: found ${found} of ${entries}`);

    start = performance.now();
    const scanned = await engine.range(undefined, undefined, Number.MAX_SAFE_INTEGER);
    const scanPerSec = scanned / ((performance.now() - start) / 1000);
    if (scanned !== entries) throw new Error(`${name}: scanned ${scanned} of ${entries}`);

    start = performance.now();
    for (let r = 0; r < shortRanges; r++) {
      const from = Math.floor((r * (entries - shortRangeLength)) / shortRanges);
      await engine.range(makeKey(from), makeKey(from + shortRangeLength - 1), shortRangeLength);
    }
    const shortRangesPerSec = shortRanges / ((performance.now() - start) / 1000);

    await engine.close();
    start = performance.now();
    engine = await factory(dir);
    await engine.get(makeKey(0));
    const reopenMs = performance.now() - start;
    await engine.close();
    return {
      engine: name,
      putPerSec,
      getPerSec,
      scanPerSec,
      shortRangesPerSec,
      reopenMs,
      diskMb: diskBytes(dir) / 1e6,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Crash test: the child commits batches of `crashBatch` keys (value = batch number) plus a marker
// key holding the batch number, and prints each batch number once committed. The parent kills it
// at a random moment, reopens the store and checks: the marker is at least the last batch printed,
// the marker's batch is complete, and no key holds a batch newer than the marker (no torn commit).

const crashBatch = 1_000;
const crashKeys = 50_000;
const markerKey = new Uint8Array([0xff, 0xff]);

async function crashChild(name: string, dir: string): Promise<void> {
  const factory = engines[name];
  if (factory === undefined) throw new Error(`unknown engine ${name}`);
  const engine = await factory(dir);
  for (let batch = 1; ; batch++) {
    const value = makeValue(batch);
    await engine.load(
      (i) => (i === crashBatch ? markerKey : makeKey((batch * crashBatch + i) % crashKeys)),
      () => value,
      crashBatch + 1, // one commit: ≤ commitEvery writes
    );
    process.stdout.write(`${batch}\n`);
  }
}

async function crashRound(name: string, factory: EngineFactory, killAfterMs: number): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), "samsa-stores-crash-"));
  try {
    const child = spawn(process.execPath, [import.meta.filename, "--crash-child", name, dir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let lastPrinted = 0;
    let buffered = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) lastPrinted = Math.max(lastPrinted, Number(line));
    });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, killAfterMs));
    child.kill("SIGKILL");
    await exited;

    const engine = await factory(dir);
    try {
      const markerBytes = engine.sync ? (engine.get(markerKey) as Uint8Array | undefined) : await engine.get(markerKey);
      const marker =
        markerBytes === undefined ? 0 : new DataView(markerBytes.buffer, markerBytes.byteOffset).getUint32(0);
      if (marker < lastPrinted) return `marker ${marker} < last committed ${lastPrinted}`;
      let ofMarker = 0;
      for (let id = 0; id < crashKeys; id++) {
        const bytes = engine.sync ? (engine.get(makeKey(id)) as Uint8Array | undefined) : await engine.get(makeKey(id));
        if (bytes === undefined) continue;
        const batch = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
        if (batch > marker) return `key ${id} holds batch ${batch} > marker ${marker}`;
        if (batch === marker) ofMarker++;
      }
      if (marker > 0 && ofMarker !== crashBatch) return `batch ${marker} has ${ofMarker} of ${crashBatch} keys`;
      return undefined;
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--crash-child") {
    await crashChild(args[1] ?? "", args[2] ?? "");
    return;
  }
  const crashRounds = Number(args[args.indexOf("--crash-rounds") + 1] || 10);
  const skipCrash = args.includes("--skip-crash");
  console.log(
    `stores benchmark: ${entries.toLocaleString("en-US")} entries (${keyBytes} B keys, ${valueBytes} B values),`,
  );
  console.log(`commit every ${commitEvery.toLocaleString("en-US")} writes, Node ${process.version}`);
  const rows: Row[] = [];
  const crashes: string[] = [];
  for (const [name, factory] of Object.entries(engines)) {
    try {
      rows.push(await measure(name, factory));
    } catch (error) {
      console.log(`${name}: skipped (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    if (skipCrash) continue;
    let failures = 0;
    const reasons = new Set<string>();
    for (let round = 0; round < crashRounds; round++) {
      const reason = await crashRound(name, factory, 300 + Math.floor(Math.random() * 700));
      if (reason !== undefined) {
        failures++;
        reasons.add(reason);
      }
    }
    crashes.push(
      `${name}: ${crashRounds - failures}/${crashRounds} kills reopened consistent${failures > 0 ? ` (${[...reasons].join("; ")})` : ""}`,
    );
  }
  console.table(
    rows.map((row) => ({
      engine: row.engine,
      "put/s (batched commits)": fmt(row.putPerSec),
      "get/s (random)": fmt(row.getPerSec),
      "scan entries/s": fmt(row.scanPerSec),
      [`ranges of ${shortRangeLength}/s`]: fmt(row.shortRangesPerSec),
      "reopen ms": fmt(row.reopenMs),
      "disk MB": fmt(row.diskMb),
    })),
  );
  for (const line of crashes) console.log(line);
}

await main();
