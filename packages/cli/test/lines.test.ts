// Input for `samsa produce`: lines however the input is chunked, bounded line length, key
// separators with escapes, the rate limiter's delay; and the fetcher's record filter (control
// records, aborted transactions under read_committed, LogAppendTime).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { RecordsBatch } from "@platformatic/kafka";
import { BadInputError, UsageError } from "../src/framework/errors.ts";
import { LineSplitter, rateDelayMs, splitKey, unescapeSeparator } from "../src/framework/lines.ts";
import { recordsOfBatches } from "../src/kafka/fetcher.ts";

function splitAll(chunks: readonly Buffer[], delimiter?: Buffer): string[] {
  const splitter = new LineSplitter(delimiter === undefined ? {} : { delimiter });
  const lines = chunks.flatMap((c) => splitter.push(c));
  return [...lines, ...splitter.end()].map((l) => l.toString("latin1"));
}

test("lines are the same however the input is chunked (property), CRLF ends a line too", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: fc.constantFrom("a", "b", "\n", "\r", "é", ";") }), { maxLength: 20 }),
      fc.array(fc.nat(50), { maxLength: 10 }),
      fc.boolean(),
      (parts, cuts, semicolon) => {
        const text = Buffer.from(parts.join(""), "utf8");
        const delimiter = semicolon ? Buffer.from(";;") : undefined;
        const sep = semicolon ? ";;" : "\n";
        const expected = text.toString("latin1").split(sep);
        if (expected.at(-1) === "") expected.pop();
        const want = semicolon ? expected : expected.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
        const points = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let at = 0;
        for (const p of [...points, text.length]) {
          chunks.push(text.subarray(at, p));
          at = p;
        }
        assert.deepEqual(splitAll(chunks, delimiter), want);
      },
    ),
  );
});

test("a line longer than the bound is bad input, named by its number", () => {
  const splitter = new LineSplitter({ lineBytesMax: 4 });
  assert.deepEqual(
    splitter.push(Buffer.from("abc\nabcd\n")).map((b) => b.toString()),
    ["abc", "abcd"],
  );
  assert.throws(
    () => splitter.push(Buffer.from("abcde")),
    (e: unknown) => e instanceof BadInputError && /line 3/.test(e.message),
  );
});

test("key separators: escapes, the first occurrence splits, no separator means a null key", () => {
  assert.deepEqual(unescapeSeparator("\\t", "-k"), Buffer.from("\t"));
  assert.deepEqual(unescapeSeparator("\\x1f:", "-k"), Buffer.from([0x1f, 0x3a]));
  assert.deepEqual(unescapeSeparator("::", "-k"), Buffer.from("::"));
  assert.throws(() => unescapeSeparator("", "-k"), UsageError);
  assert.throws(() => unescapeSeparator("\\q", "-k"), UsageError);
  assert.throws(() => unescapeSeparator("\\xZZ", "-k"), UsageError);
  const sep = Buffer.from(":");
  const kv = splitKey(Buffer.from("user:1:x"), sep);
  assert.equal(kv.key?.toString(), "user");
  assert.equal(kv.value.toString(), "1:x");
  assert.equal(splitKey(Buffer.from(":v"), sep).key?.length, 0, "an empty key is not a null key");
  assert.equal(splitKey(Buffer.from("v"), sep).key, null);
  assert.equal(splitKey(Buffer.from("a:b"), undefined).key, null);
});

test("the rate limiter waits just long enough", () => {
  assert.equal(rateDelayMs(100, 100, 0), 1000);
  assert.equal(rateDelayMs(100, 100, 1000), 0);
  assert.equal(rateDelayMs(50, 100, 200), 300);
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1e6 }),
      fc.integer({ min: 1, max: 1e5 }),
      fc.nat(1e6),
      (sent, rate, elapsed) => {
        const delay = rateDelayMs(sent, rate, elapsed);
        assert.ok(delay >= 0);
        assert.ok(sent / ((elapsed + delay) / 1000) <= rate * (1 + 1e-9) || elapsed + delay === 0);
      },
    ),
  );
});

function batch(options: {
  firstOffset: bigint;
  values: string[];
  producerId?: bigint;
  transactional?: boolean;
  control?: "abort" | "commit";
  logAppendTime?: boolean;
}): RecordsBatch {
  const control = options.control === undefined ? undefined : options.control === "abort" ? 0 : 1;
  const key = Buffer.alloc(4);
  if (control !== undefined) key.writeInt16BE(control, 2);
  const values = control === undefined ? options.values : [""];
  return {
    firstOffset: options.firstOffset,
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes:
      (options.transactional === true ? 16 : 0) |
      (control !== undefined ? 32 : 0) |
      (options.logAppendTime === true ? 8 : 0),
    lastOffsetDelta: values.length - 1,
    firstTimestamp: 1000n,
    maxTimestamp: 5000n,
    producerId: options.producerId ?? -1n,
    producerEpoch: 0,
    firstSequence: 0,
    records: values.map((v, i) => ({
      length: 0,
      attributes: 0,
      timestampDelta: BigInt(i),
      offsetDelta: i,
      key: control === undefined ? null : key,
      value: Buffer.from(v),
      headers: [[Buffer.from("h"), null]],
    })),
  };
}

test("fetched batches: control records dropped, aborted transactions dropped, positions past both", () => {
  const batches = [
    batch({ firstOffset: 0n, values: ["a", "b"] }),
    batch({ firstOffset: 2n, values: ["t1", "t2"], producerId: 7n, transactional: true }),
    batch({ firstOffset: 4n, values: ["u1"], producerId: 8n, transactional: true }),
    batch({ firstOffset: 5n, values: [], producerId: 7n, transactional: true, control: "abort" }),
    batch({ firstOffset: 6n, values: [], producerId: 8n, transactional: true, control: "commit" }),
    batch({ firstOffset: 7n, values: ["t3"], producerId: 7n, transactional: true }),
    batch({ firstOffset: 8n, values: ["c"], logAppendTime: true }),
  ];
  const committed = recordsOfBatches(0, batches, 1n, [{ producerId: 7n, firstOffset: 2n }]);
  assert.deepEqual(
    committed.records.map((r) => `${r.offset}:${r.value?.toString()}`),
    ["1:b", "4:u1", "7:t3", "8:c"],
    "from offset 1; producer 7's first transaction aborted, its next one not",
  );
  assert.equal(committed.next, 9n);
  assert.equal(committed.records[0]?.timestamp, 1001n);
  assert.equal(committed.records.at(-1)?.timestamp, 5000n, "LogAppendTime: the batch's max timestamp");
  assert.equal(committed.records.at(-1)?.timestampType, "LogAppendTime");
  assert.deepEqual(committed.records[0]?.headers, [["h", null]]);
  const uncommitted = recordsOfBatches(0, batches, 0n, null);
  assert.equal(uncommitted.records.length, 7, "read_uncommitted: every data record, no control record");
});
