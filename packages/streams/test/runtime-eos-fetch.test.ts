// The read_committed filter of the fetcher (committedBatches) and the commit metadata codec, on
// hand-made batches: what a read_committed consumer must and must not see.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IS_CONTROL, IS_TRANSACTIONAL } from "@platformatic/kafka";
import type { RecordsBatch } from "@platformatic/kafka";
import { committedBatches } from "../src/runtime/fetcher.ts";
import { decodeCommitMetadata, encodeCommitMetadata } from "../src/runtime/group-commit.ts";

function batch(
  firstOffset: number,
  count: number,
  producerId: number,
  kind: "data" | "commit" | "abort" | "plain",
): RecordsBatch {
  const control = kind === "commit" || kind === "abort";
  const key = Buffer.alloc(4);
  key.writeInt16BE(kind === "abort" ? 0 : 1, 2);
  return {
    firstOffset: BigInt(firstOffset),
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes: (kind === "plain" ? 0 : IS_TRANSACTIONAL) | (control ? IS_CONTROL : 0),
    lastOffsetDelta: count - 1,
    firstTimestamp: 0n,
    maxTimestamp: 0n,
    producerId: BigInt(kind === "plain" ? -1 : producerId),
    producerEpoch: 0,
    firstSequence: 0,
    records: Array.from({ length: count }, (_, i) => ({
      length: 0,
      attributes: 0,
      timestampDelta: 0n,
      offsetDelta: i,
      key: control ? key : null,
      value: null,
      headers: [],
    })),
  };
}

const offsets = (batches: RecordsBatch[]) => batches.map((b) => Number(b.firstOffset));

test("read_committed: aborted transactions and control batches are dropped, committed and plain batches kept", () => {
  const batches = [
    batch(0, 2, 7, "data"), // aborted (7's transaction from 0)
    batch(2, 1, 8, "data"), // committed
    batch(3, 1, 7, "abort"),
    batch(4, 1, 8, "commit"),
    batch(5, 3, -1, "plain"),
    batch(8, 2, 7, "data"), // 7's next transaction, committed
    batch(10, 1, 7, "commit"),
  ];
  const kept = committedBatches(batches, [{ producerId: 7n, firstOffset: 0n }]);
  assert.deepEqual(offsets(kept), [2, 5, 8]);
});

test("read_committed: an aborted transaction whose abort marker is beyond the response is still dropped", () => {
  const batches = [batch(0, 1, 8, "data"), batch(1, 2, 7, "data"), batch(3, 1, 8, "commit")];
  assert.deepEqual(offsets(committedBatches(batches, [{ producerId: 7n, firstOffset: 1n }])), [0]);
  // Without the aborted-transaction list (nothing aborted in range), everything but markers stays.
  assert.deepEqual(offsets(committedBatches(batches, null)), [0, 1]);
});

test("commit metadata: processor metadata round-trips; null, foreign and malformed metadata decode to nothing", () => {
  assert.equal(encodeCommitMetadata(new Map()), null);
  const encoded = encodeCommitMetadata(
    new Map([
      ["store-a", 15_000],
      ["store-b", -1],
    ]),
  );
  assert.deepEqual(
    [...decodeCommitMetadata(encoded)],
    [
      ["store-a", 15_000],
      ["store-b", -1],
    ],
  );
  for (const foreign of [null, "", "AgAAAAAAAAPo", "{", '{"v":2,"pm":{"a":1}}', '{"v":1,"pm":{"a":"x"}}'])
    assert.equal(decodeCommitMetadata(foreign).size, 0, String(foreign));
});
