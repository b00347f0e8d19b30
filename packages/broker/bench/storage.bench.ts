// Storage benchmark: append and read throughput of the partition log (1 KiB records in 16 KiB and
// 1 MiB batches; durable and relaxed modes) next to the raw sequential-write and fsync rates of
// the same disk, measured in the same run. Writes its section of docs/benchmarks.md and
// docs/bench/storage.json. Run: npm run bench (or node packages/broker/bench/storage.bench.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { open } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { encodeRecordBatch } from "@samsa/protocol";
import * as prettier from "prettier";
import { defaultLogConfig } from "../src/storage/log-config.ts";
import type { Durability } from "../src/storage/log-config.ts";
import { LogManager } from "../src/storage/log-manager.ts";
import { NodeFileBackend } from "../src/storage/node-files.ts";

const root = resolve(import.meta.dirname, "../../..");
const benchDir = process.env["SAMSA_BENCH_DIR"] ?? tmpdir();
const totalBytes = Number(process.env["SAMSA_BENCH_STORAGE_MB"] ?? 256) * 1024 * 1024;
const recordBytes = 1024;

interface Row {
  readonly case: string;
  readonly mbPerSec: number;
  readonly note: string;
}

function mb(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

function freshDir(): string {
  return mkdtempSync(join(benchDir, "samsa-bench-"));
}

/** Raw sequential write of `totalBytes` in `chunkBytes` writes, then one fdatasync. */
async function rawSequentialWrite(chunkBytes: number): Promise<number> {
  const dir = freshDir();
  const chunk = Buffer.alloc(chunkBytes, 7);
  const handle = await open(join(dir, "raw.log"), "w");
  const start = performance.now();
  for (let pos = 0; pos < totalBytes; pos += chunkBytes) await handle.write(chunk, 0, chunkBytes, pos);
  await handle.datasync();
  const ms = performance.now() - start;
  await handle.close();
  rmSync(dir, { recursive: true, force: true });
  return mb(totalBytes, ms);
}

/** Raw write + fdatasync of each chunk, by `writers` concurrent writers to one file: the disk's sync rate. */
async function rawSyncedWrite(
  chunkBytes: number,
  writers: number,
  bytes: number,
): Promise<{ mbPerSec: number; syncsPerSec: number }> {
  const dir = freshDir();
  const chunk = Buffer.alloc(chunkBytes, 7);
  const handle = await open(join(dir, "raw.log"), "w");
  let pos = 0;
  let syncs = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (pos < bytes) {
        const at = pos;
        pos += chunkBytes;
        await handle.write(chunk, 0, chunkBytes, at);
        await handle.datasync();
        syncs++;
      }
    }),
  );
  const ms = performance.now() - start;
  await handle.close();
  rmSync(dir, { recursive: true, force: true });
  return { mbPerSec: mb(bytes, ms), syncsPerSec: syncs / (ms / 1000) };
}

function makeBatches(recordsPerBatch: number, copies: number): Uint8Array[] {
  const value = Buffer.alloc(recordBytes - 20, "x");
  return Array.from({ length: copies }, () =>
    encodeRecordBatch({
      records: Array.from({ length: recordsPerBatch }, (_, i) => ({
        key: Buffer.from(`key-${i}`),
        value,
        timestamp: BigInt(Date.now()),
      })),
    }),
  );
}

/**
 * Appends `bytes` of batches with `writers` concurrent producers, each waiting for its ack before
 * sending the next; then flushes. Returns MB/s of appended batch bytes and the log for reading.
 */
async function appendThroughput(options: {
  durability: Durability;
  recordsPerBatch: number;
  writers: number;
  acks: 1 | -1;
  bytes: number;
}): Promise<{ appendMbPerSec: number; readMbPerSec: number }> {
  const dir = freshDir();
  const { manager } = await LogManager.open({
    backend: new NodeFileBackend(),
    dataDir: dir,
    durability: options.durability,
    defaults: { ...defaultLogConfig, retentionMs: -1 },
  });
  await manager.createTopic({ name: "bench", partitions: 1 });
  const log = manager.log("bench", 0);
  if (log === undefined) throw new Error("no log");
  // Each writer owns its batch buffers: append patches offsets in place.
  const batches = Array.from({ length: options.writers }, () => makeBatches(options.recordsPerBatch, 2));
  const batchBytes = batches[0]?.[0]?.length ?? 1;
  const count = Math.ceil(options.bytes / batchBytes);
  let issued = 0;
  const start = performance.now();
  await Promise.all(
    batches.map(async (own) => {
      let i = 0;
      while (issued < count) {
        issued++;
        const batch = own[i++ % own.length];
        if (batch === undefined) throw new Error("no batch");
        const r = await log.append(batch, { requiredAcks: options.acks, leaderEpoch: 0 });
        if (r.errorCode !== 0) throw new Error(`append failed: ${r.errorCode}`);
      }
    }),
  );
  await log.flush();
  const appendMs = performance.now() - start;
  const appended = count * batchBytes;
  // Sequential read of everything, 1 MiB per read (what a catching-up consumer does).
  const readStart = performance.now();
  let offset = 0;
  let readBytes = 0;
  while (offset < log.highWatermark) {
    const r = await log.read({ offset, maxBytes: 1024 * 1024, minOneBatch: true });
    if (r.records.length === 0) break;
    readBytes += r.records.length;
    const view = new DataView(r.records.buffer, r.records.byteOffset, r.records.byteLength);
    // Next offset: after the last batch in the chunk (walk batch lengths).
    let at = 0;
    let last = offset;
    while (at + 12 <= r.records.length) {
      const base = Number(view.getBigInt64(at));
      const size = 12 + view.getInt32(at + 8);
      const lastDelta = view.getInt32(at + 23);
      last = base + lastDelta;
      at += size;
    }
    offset = last + 1;
  }
  const readMs = performance.now() - readStart;
  await manager.close();
  rmSync(dir, { recursive: true, force: true });
  return { appendMbPerSec: mb(appended, appendMs), readMbPerSec: mb(readBytes, readMs) };
}

/** Tries to drop the OS page cache (root only) so a restart reads from disk; says whether it did. */
function dropPageCache(): boolean {
  try {
    writeFileSync("/proc/sys/vm/drop_caches", "3\n");
    return true;
  } catch {
    return false;
  }
}

/**
 * Startup time with many partitions and much data: a clean restart (indexes trusted, tails
 * scanned) and an unclean one (every active segment re-validated batch by batch, as after a crash).
 */
async function startupTime(options: { partitions: number; bytes: number }): Promise<Row[]> {
  const dir = freshDir();
  const defaults = { ...defaultLogConfig, retentionMs: -1, segmentBytes: 64 * 1024 * 1024 };
  const open = () =>
    LogManager.open({ backend: new NodeFileBackend(), dataDir: dir, durability: { mode: "os" }, defaults });
  const { manager } = await open();
  await manager.createTopic({ name: "startup", partitions: options.partitions });
  const batches = makeBatches(1024, 4);
  const batchBytes = batches[0]?.length ?? 1;
  const perPartition = Math.max(1, Math.round(options.bytes / options.partitions / batchBytes));
  let written = 0;
  const writeStart = performance.now();
  for (let p = 0; p < options.partitions; p++) {
    const log = manager.log("startup", p);
    if (log === undefined) throw new Error("no log");
    for (let i = 0; i < perPartition; i++) {
      const batch = batches[i % batches.length];
      if (batch === undefined) throw new Error("no batch");
      const r = await log.append(batch, { requiredAcks: 1, leaderEpoch: 0 });
      if (r.errorCode !== 0) throw new Error(`append failed: ${r.errorCode}`);
      written += batch.length;
    }
  }
  await manager.flushAll();
  const writeMs = performance.now() - writeStart;
  await manager.close();
  const gib = (written / 1024 ** 3).toFixed(1);
  const rows: Row[] = [];
  const cold = dropPageCache();
  let start = performance.now();
  const clean = await open();
  const cleanMs = performance.now() - start;
  rows.push({
    case: `startup after clean shutdown: ${options.partitions} partitions, ${gib} GiB`,
    mbPerSec: written / 1e6 / (cleanMs / 1000),
    note: `${cleanMs.toFixed(0)} ms${cold ? ", page cache dropped" : ", page cache warm"}; data written at ${mb(written, writeMs).toFixed(0)} MB/s`,
  });
  await clean.manager.abandon(); // no clean-shutdown marker: the next start recovers
  const coldAgain = dropPageCache();
  start = performance.now();
  const unclean = await open();
  const uncleanMs = performance.now() - start;
  rows.push({
    case: `startup after a crash (validate every active segment): ${options.partitions} partitions, ${gib} GiB`,
    mbPerSec: written / 1e6 / (uncleanMs / 1000),
    note: `${uncleanMs.toFixed(0)} ms${coldAgain ? ", page cache dropped" : ", page cache warm"}; ${unclean.recoveredLogs} logs recovered, ${unclean.truncatedBytes} bytes cut`,
  });
  await unclean.manager.close();
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const log = (row: Row): void => {
    rows.push(row);
    console.log(`${row.case.padEnd(64)} ${row.mbPerSec.toFixed(0).padStart(7)} MB/s  ${row.note}`);
  };
  const total = `${(totalBytes / 1024 / 1024).toFixed(0)} MiB`;
  const raw16k = await rawSequentialWrite(16 * 1024);
  log({ case: "raw sequential write, 16 KiB writes + final fdatasync", mbPerSec: raw16k, note: total });
  const raw1m = await rawSequentialWrite(1024 * 1024);
  log({ case: "raw sequential write, 1 MiB writes + final fdatasync", mbPerSec: raw1m, note: total });
  const durableBytes = Math.min(totalBytes, 64 * 1024 * 1024);
  const sync1 = await rawSyncedWrite(16 * 1024, 1, durableBytes / 4);
  log({
    case: "raw 16 KiB write + fdatasync each, 1 writer",
    mbPerSec: sync1.mbPerSec,
    note: `${sync1.syncsPerSec.toFixed(0)} syncs/s`,
  });
  const sync8 = await rawSyncedWrite(16 * 1024, 8, durableBytes / 4);
  log({
    case: "raw 16 KiB write + fdatasync each, 8 writers",
    mbPerSec: sync8.mbPerSec,
    note: `${sync8.syncsPerSec.toFixed(0)} syncs/s`,
  });

  const results: Record<string, number> = {};
  for (const [label, recordsPerBatch, raw] of [
    ["16 KiB batches", 16, raw16k],
    ["1 MiB batches", 1024, raw1m],
  ] as const) {
    const relaxed = await appendThroughput({
      durability: { mode: "os" },
      recordsPerBatch,
      writers: 8,
      acks: 1,
      bytes: totalBytes,
    });
    log({
      case: `append relaxed (os), ${label}, acks=1, 8 writers`,
      mbPerSec: relaxed.appendMbPerSec,
      note: `${((relaxed.appendMbPerSec / raw) * 100).toFixed(0)}% of raw sequential write`,
    });
    log({ case: `read, ${label}, 1 MiB reads`, mbPerSec: relaxed.readMbPerSec, note: "page cache warm" });
    const durable = await appendThroughput({
      durability: { mode: "fsync" },
      recordsPerBatch,
      writers: 8,
      acks: -1,
      bytes: durableBytes,
    });
    log({
      case: `append durable (fsync), ${label}, acks=all, 8 writers`,
      mbPerSec: durable.appendMbPerSec,
      note: `${((durable.appendMbPerSec / raw) * 100).toFixed(0)}% of raw sequential write`,
    });
    const durable1 = await appendThroughput({
      durability: { mode: "fsync" },
      recordsPerBatch,
      writers: 1,
      acks: -1,
      bytes: durableBytes / 4,
    });
    log({
      case: `append durable (fsync), ${label}, acks=all, 1 writer`,
      mbPerSec: durable1.appendMbPerSec,
      note: `${((durable1.appendMbPerSec / sync1.mbPerSec) * 100).toFixed(0)}% of raw write+fdatasync, 1 writer`,
    });
    results[`relaxed_${recordsPerBatch}`] = relaxed.appendMbPerSec;
    results[`durable_${recordsPerBatch}`] = durable.appendMbPerSec;
  }
  const startupGb = Number(process.env["SAMSA_BENCH_STARTUP_GB"] ?? 10);
  if (startupGb > 0) {
    for (const row of await startupTime({ partitions: 1000, bytes: startupGb * 1024 ** 3 })) log(row);
  }
  await writeReport(rows);
}

async function writeReport(rows: readonly Row[]): Promise<void> {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const when = new Date().toISOString();
  const table = [
    "| case | MB/s | note |",
    "| :-- | --: | :-- |",
    ...rows.map((r) => `| ${r.case} | ${r.mbPerSec.toFixed(0)} | ${r.note} |`),
  ].join("\n");
  const section = [
    "<!-- bench:storage:start -->",
    "",
    "## Storage: partition log append and read (`packages/broker/bench/storage.bench.ts`)",
    "",
    `Machine: ${cpu}, ${cpus().length} cores, Node ${process.version}, data dir on ${benchDir}. Run ${when}.`,
    "",
    `Startup rows: MB/s is data size / startup time. 1 KiB records; ${(totalBytes / 1024 / 1024).toFixed(0)} MiB per relaxed case, ${Math.min(totalBytes / 1024 / 1024, 64).toFixed(0)} MiB per durable case; every case ends with an fdatasync so the page cache does not flatter it. Append includes validation (CRC-32C and record framing) and offset assignment. The raw rows use node:fs on the same disk in the same run. _relaxed_ = durability mode \`os\` (fsync on roll and close only); _durable_ = mode \`fsync\` (group commit, acks=all answered after fdatasync). Targets: relaxed ≥ 80% of raw sequential write; durable with 8 writers ≥ 50%.`,
    "",
    table,
    "",
    "<!-- bench:storage:end -->",
  ].join("\n");
  const docPath = join(root, "docs/benchmarks.md");
  const doc = existsSync(docPath)
    ? readFileSync(docPath, "utf8")
    : "# Benchmarks\n\nRegenerate with `npm run bench`.\n";
  const marker = /<!-- bench:storage:start -->[\s\S]*<!-- bench:storage:end -->/;
  // Formatted as the repository's prettier config would, so `prettier --check` stays green.
  const options = (await prettier.resolveConfig(docPath)) ?? {};
  const markdown = marker.test(doc) ? doc.replace(marker, section) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(docPath, await prettier.format(markdown, { ...options, parser: "markdown" }));
  mkdirSync(join(root, "docs/bench"), { recursive: true });
  const json = JSON.stringify({ when, cpu, cores: cpus().length, node: process.version, rows });
  writeFileSync(join(root, "docs/bench/storage.json"), await prettier.format(json, { ...options, parser: "json" }));
}

await main();
