// The record collector without a broker: what it hands the client library per record (partition by
// Kafka's default partitioner, Buffers, timestamps, headers), the acknowledged offset per partition
// it derives from each partition's base offset, and a failed send reported at once.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { MessageToProduce, ProduceResult } from "@platformatic/kafka";
import { partitionForKey } from "../src/murmur2.ts";
import type { OutgoingRecord } from "../src/runtime-contract.ts";
import { StreamsError } from "../src/runtime/errors.ts";
import { RecordCollector } from "../src/runtime/record-collector.ts";

function record(topic: string, key: string | null, partition?: number): OutgoingRecord {
  return {
    topic,
    partition,
    key: key === null ? null : new TextEncoder().encode(key),
    value: new Uint8Array([1, 2]),
    timestampMs: 1_700_000_000_123,
    headers: [],
  };
}

test("records go out as the client expects them, keyed ones to toPositive(murmur2(key)) % partitions", async () => {
  const sent: MessageToProduce[][] = [];
  const bases = new Map([
    ["out:0", 100n],
    ["out:1", 200n],
    ["out:2", 300n],
    ["log:3", 40n],
  ]);
  const collector = new RecordCollector({
    send: (messages) => {
      sent.push(messages);
      const seen = new Set(messages.map((m) => `${m.topic}:${m.partition}`));
      const offsets = [...seen].map((key) => {
        const [topic = "", partition = ""] = key.split(":");
        return { topic, partition: Number(partition), offset: bases.get(key) ?? 0n };
      });
      return Promise.resolve({ offsets } satisfies ProduceResult);
    },
    partitionCounts: () => Promise.resolve(new Map([["out", 3]])),
  });
  const keys = ["a", "b", "c", "d", "e", "f", "g"];
  for (const key of keys) collector.send(record("out", key));
  collector.send(record("log", "x", 3));
  collector.send({
    ...record("out", null),
    headers: [
      ["h", new Uint8Array([7])],
      ["n", null],
    ],
  });
  await collector.flush();
  const messages = sent.flat();
  assert.equal(messages.length, keys.length + 2);
  keys.forEach((key, i) => {
    const message = messages[i];
    assert.equal(message?.partition, partitionForKey(new TextEncoder().encode(key), 3));
    assert.ok(Buffer.isBuffer(message?.key) && Buffer.isBuffer(message.value));
    assert.equal(message.timestamp, 1_700_000_000_123n);
    assert.equal(message.headers, undefined);
  });
  assert.equal(messages[keys.length]?.partition, 3);
  const headers = [...((messages[keys.length + 1]?.headers as Map<Buffer, Buffer | null>) ?? [])];
  assert.deepEqual(
    headers.map(([name, value]) => [name.toString(), value === null ? null : [...value]]),
    [
      ["h", [7]],
      ["n", null],
    ],
  );
  // The last acknowledged offset per partition: its base offset + its records − 1.
  for (const partition of [0, 1, 2]) {
    const count = messages.filter((m) => m.topic === "out" && m.partition === partition).length;
    const base = bases.get(`out:${partition}`) ?? 0n;
    assert.equal(collector.ackedOffset("out", partition), count === 0 ? undefined : Number(base) + count - 1);
  }
  assert.equal(collector.ackedOffset("log", 3), 40);
});

test("a failed send is reported once, at once, and every later send throws it", async () => {
  const reported: StreamsError[] = [];
  const collector = new RecordCollector({
    send: () => Promise.reject(new Error("broker says no")),
    partitionCounts: () => Promise.resolve(new Map([["out", 1]])),
    onError: (error) => reported.push(error),
  });
  collector.send(record("out", "k"));
  collector.ship();
  await assert.rejects(collector.flush(), /sending records failed: broker says no/);
  assert.equal(reported.length, 1);
  assert.equal(reported[0]?.code, "SEND_FAILED");
  assert.throws(() => collector.send(record("out", "k")), /broker says no/);
  assert.equal(reported.length, 1);
});

test("a topic without a partition count fails the send, naming it", async () => {
  const reported: StreamsError[] = [];
  const collector = new RecordCollector({
    send: () => Promise.reject(new Error("unreachable")),
    partitionCounts: () => Promise.resolve(new Map<string, number>()),
    onError: (error) => reported.push(error),
  });
  collector.send(record("missing", "k"));
  await assert.rejects(collector.flush(), /topic missing does not exist/);
  assert.ok(reported[0] instanceof StreamsError);
});
