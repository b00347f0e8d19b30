// Helpers for storage tests: backends to run the same suite against, and record batches.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeRecordBatch, iterateBatches, iterateRecords } from "@samsa/protocol";
import type { CompressionCodec } from "@samsa/protocol";
import type { StorageBackend } from "../../src/storage/backend.ts";
import { MemoryFileBackend } from "../../src/storage/memory-files.ts";
import { NodeFileBackend } from "../../src/storage/node-files.ts";

export interface BackendUnderTest {
  readonly name: string;
  /** A fresh backend and a data directory on it; `cleanup` removes what it made. */
  make(): { backend: StorageBackend; dataDir: string; cleanup: () => void };
}

export const backends: readonly BackendUnderTest[] = [
  {
    name: "memory",
    make: () => ({ backend: new MemoryFileBackend(), dataDir: "/data", cleanup: () => undefined }),
  },
  {
    name: "files",
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), "samsa-storage-"));
      return {
        backend: new NodeFileBackend(),
        dataDir: dir,
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];

export class ManualClock {
  now: number;
  constructor(start = 1_700_000_000_000) {
    this.now = start;
  }
  nowMs(): number {
    return this.now;
  }
}

const text = new TextEncoder();

/** A batch of `count` records with values `${prefix}-${i}` and keys `k${i % keys}`. */
export function batchOf(options: {
  count: number;
  prefix?: string;
  timestampMs: number;
  keys?: number;
  compression?: CompressionCodec;
  valueBytes?: number;
}): Uint8Array {
  const prefix = options.prefix ?? "v";
  return encodeRecordBatch({
    compression: options.compression ?? "none",
    records: Array.from({ length: options.count }, (_, i) => ({
      key: options.keys === undefined ? null : text.encode(`k${i % options.keys}`),
      value:
        options.valueBytes === undefined
          ? text.encode(`${prefix}-${i}`)
          : text.encode(`${prefix}-${i}-`.padEnd(options.valueBytes, "x")),
      timestamp: BigInt(options.timestampMs + i),
    })),
  });
}

export interface ReadRecord {
  offset: number;
  timestampMs: number;
  key: string | null;
  value: string | null;
}

const utf8 = new TextDecoder();

/** Decodes every record in a `records` blob (whole batches). */
export function recordsIn(blob: Uint8Array): ReadRecord[] {
  const out: ReadRecord[] = [];
  for (const batch of iterateBatches(blob)) {
    for (const r of iterateRecords(batch.bytes, { maxBytes: 1 << 26 })) {
      out.push({
        offset: Number(r.offset),
        timestampMs: Number(r.timestamp),
        key: r.key === null ? null : utf8.decode(r.key),
        value: r.value === null ? null : utf8.decode(r.value),
      });
    }
  }
  return out;
}
