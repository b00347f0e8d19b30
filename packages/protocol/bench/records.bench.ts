// Throughput of the record batch layer: encode, decode, validate, CRC-32C and every codec. Prints a
// table, updates the protocol section of docs/benchmarks.md and writes docs/bench/protocol.json.
// Run: npm run bench
import { Buffer } from "node:buffer";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import * as prettier from "prettier";
import {
  batchHeaderBytes,
  compress,
  compressionCodecs,
  crc32c,
  decodeRecords,
  decompress,
  encodeRecordBatch,
  validateBatch,
  type RecordInput,
} from "../src/records/index.ts";

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");
const markdownPath = path.join(repoRoot, "docs", "benchmarks.md");
const jsonPath = path.join(repoRoot, "docs", "bench", "protocol.json");
const startMarker = "<!-- bench:protocol:start -->";
const endMarker = "<!-- bench:protocol:end -->";

/** Timed runs per case; the median is reported. */
const runs = 7;
const recordValueBytes = 1024;
const maxBytes = 64 * 1024 * 1024;

// ------------------------------------------------------------------------------------------- data

/** Deterministic PRNG (xorshift32), so every run measures the same bytes. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const words = [
  "click",
  "view",
  "purchase",
  "user",
  "session",
  "device",
  "mobile",
  "desktop",
  "checkout",
  "cart",
  "search",
  "home",
];

/** JSON-like event values: field names repeat and numbers vary, so codecs see realistic redundancy. */
function eventValue(next: () => number, i: number): Uint8Array {
  let s = `{"id":${i},"user":"user-${next() % 100_000}","event":"${words[next() % words.length] ?? ""}","ts":${1_700_000_000_000 + i},"attrs":{`;
  for (let field = 0; s.length < recordValueBytes - 40; field++) {
    s += `"${words[next() % words.length] ?? ""}${field}":"${(next() % 1_000_000).toString(36)}-${words[next() % words.length] ?? ""}",`;
  }
  s += `"pad":"`;
  while (s.length < recordValueBytes - 2) s += String.fromCharCode(97 + (next() % 26));
  return Buffer.from(`${s}"}`.slice(0, recordValueBytes));
}

function records(count: number): RecordInput[] {
  const next = prng(count);
  return Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`key-${String(i).padStart(8, "0")}`),
    value: eventValue(next, i),
    headers: i % 4 === 0 ? [{ key: "trace-id", value: Buffer.from((next() % 2 ** 31).toString(16)) }] : [],
    timestamp: 1_700_000_000_000n + BigInt(i),
  }));
}

// ------------------------------------------------------------------------------------------- harness

interface Result {
  readonly name: string;
  readonly bytesPerOp: number;
  readonly iterations: number;
  readonly mbPerSecMedian: number;
  readonly mbPerSecMin: number;
  readonly mbPerSecMax: number;
}

const results: Result[] = [];
/** Keeps every result reachable, so no work can be optimised away. */
let blackhole: unknown;

/** Runs `op` a fixed number of times after a warm-up, `runs` times over; MB/s of `bytesPerOp`. */
function bench(name: string, options: { bytesPerOp: number; iterations: number }, op: () => unknown): void {
  const { bytesPerOp, iterations } = options;
  for (let i = 0; i < Math.max(3, iterations / 2); i++) blackhole = op();
  const rates: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) blackhole = op();
    const seconds = (performance.now() - start) / 1000;
    rates.push((bytesPerOp * iterations) / seconds / 1e6);
  }
  rates.sort((a, b) => a - b);
  const result = {
    name,
    bytesPerOp,
    iterations,
    mbPerSecMedian: rates[Math.floor(rates.length / 2)] ?? 0,
    mbPerSecMin: rates[0] ?? 0,
    mbPerSecMax: rates.at(-1) ?? 0,
  };
  results.push(result);
  console.log(
    `${name.padEnd(52)} ${result.mbPerSecMedian.toFixed(0).padStart(7)} MB/s  (${iterations} ops × ${runs} runs)`,
  );
}

// ------------------------------------------------------------------------------------------- cases

const small = records(16); // 16 × 1 KiB ≈ 16 KiB batch
const large = records(1024); // 1024 × 1 KiB ≈ 1 MiB batch
const smallBatch = encodeRecordBatch({ records: small });
const largeBatch = encodeRecordBatch({ records: large });
const plainRecords = largeBatch.subarray(batchHeaderBytes);

console.log(`record batch benchmarks: ${small.length} and ${large.length} records of ${recordValueBytes} B`);
bench("encode 16 KiB batch (16 × 1 KiB)", { bytesPerOp: smallBatch.length, iterations: 4000 }, () =>
  encodeRecordBatch({ records: small }),
);
bench("encode 1 MiB batch (1024 × 1 KiB)", { bytesPerOp: largeBatch.length, iterations: 60 }, () =>
  encodeRecordBatch({ records: large }),
);
bench("decode 16 KiB batch (CRC + records)", { bytesPerOp: smallBatch.length, iterations: 4000 }, () =>
  decodeRecords(smallBatch, { maxBytes }),
);
bench("decode 1 MiB batch (CRC + records)", { bytesPerOp: largeBatch.length, iterations: 60 }, () =>
  decodeRecords(largeBatch, { maxBytes }),
);
bench("decode 1 MiB batch (records only)", { bytesPerOp: largeBatch.length, iterations: 60 }, () =>
  decodeRecords(largeBatch, { maxBytes, verifyCrc: false }),
);
bench("validateBatch 1 MiB (CRC-32C + header)", { bytesPerOp: largeBatch.length, iterations: 400 }, () =>
  validateBatch(largeBatch),
);
bench("crc32c 1 MiB", { bytesPerOp: largeBatch.length, iterations: 400 }, () => crc32c(largeBatch));

const ratios: Record<string, number> = {};
for (const codec of compressionCodecs.filter((c) => c !== "none")) {
  const compressed = compress(codec, plainRecords);
  ratios[codec] = plainRecords.length / compressed.length;
  const batch = encodeRecordBatch({ records: large, compression: codec });
  const slow = codec === "gzip" || codec === "zstd";
  bench(`${codec} compress 1 MiB`, { bytesPerOp: plainRecords.length, iterations: slow ? 15 : 40 }, () =>
    compress(codec, plainRecords),
  );
  bench(`${codec} decompress 1 MiB`, { bytesPerOp: plainRecords.length, iterations: 60 }, () =>
    decompress(codec, compressed, { maxBytes }),
  );
  bench(
    `decode 1 MiB ${codec} batch (CRC + inflate + records)`,
    { bytesPerOp: plainRecords.length, iterations: 40 },
    () => decodeRecords(batch, { maxBytes }),
  );
}

// ------------------------------------------------------------------------------------------- report

const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model.trim() ?? "unknown",
  cores: cpus.length,
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  date: new Date().toISOString(),
};

function table(): string {
  const rows = results.map((r) => [
    r.name,
    r.mbPerSecMedian.toFixed(0),
    `${r.mbPerSecMin.toFixed(0)}–${r.mbPerSecMax.toFixed(0)}`,
    String(r.iterations),
  ]);
  const lines = [
    "| case | MB/s (median) | MB/s (min–max) | ops per run |",
    "| :--- | ---: | ---: | ---: |",
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ];
  return lines.join("\n");
}

const section = [
  startMarker,
  "",
  "## Protocol: record batches (`packages/protocol/bench/records.bench.ts`)",
  "",
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.platform}, Node ${machine.node}. Run ${machine.date}.`,
  "",
  `Records of ${recordValueBytes} B (JSON-like values, a header on every fourth). MB/s are 10^6 bytes per second of the ` +
    `uncompressed batch (or records section for codecs); median of ${runs} runs of a fixed number of operations after a warm-up. ` +
    `Decoding materialises every record (key/value as views, offsets and timestamps as bigint).`,
  "",
  table(),
  "",
  `Compression ratio of the 1 MiB records section: ${Object.entries(ratios)
    .map(([codec, ratio]) => `${codec} ${ratio.toFixed(2)}×`)
    .join(", ")}.`,
  "",
  endMarker,
].join("\n");

const header = [
  "# Benchmarks",
  "",
  "Numbers recorded by the benchmark scripts; regenerate with `npm run bench` (each script rewrites only its own",
  "section, between its markers). Compare numbers only between runs on the same machine.",
  "",
].join("\n");

let markdown = existsSync(markdownPath) ? readFileSync(markdownPath, "utf8") : `${header}\n`;
const start = markdown.indexOf(startMarker);
const end = markdown.indexOf(endMarker);
markdown =
  start !== -1 && end > start
    ? markdown.slice(0, start) + section + markdown.slice(end + endMarker.length)
    : `${markdown.trimEnd()}\n\n${section}\n`;

// Formatted as the repository's prettier config would, so `prettier --check` stays green.
const prettierOptions = (await prettier.resolveConfig(markdownPath)) ?? {};
mkdirSync(path.dirname(jsonPath), { recursive: true });
writeFileSync(markdownPath, await prettier.format(markdown, { ...prettierOptions, parser: "markdown" }));
const json = JSON.stringify({ machine, recordValueBytes, runs, compressionRatios: ratios, results }, null, 2);
writeFileSync(jsonPath, await prettier.format(json, { ...prettierOptions, parser: "json" }));
console.log(
  `\n${blackhole === undefined ? "" : "done: "}wrote ${path.relative(repoRoot, markdownPath)} and ${path.relative(repoRoot, jsonPath)}`,
);
