// Helpers of the exactly-once tests: a read_committed reader (what a downstream consumer with
// isolation.level=read_committed sees), a producer of timestamped records, and the check that
// every input produced exactly one output.
import { Consumer, Producer, murmur2 } from "@platformatic/kafka";
import { Fetcher } from "../src/runtime/fetcher.ts";
import type { ConsumedRecord } from "../src/runtime-contract.ts";
import { str } from "./runtime-fixtures.ts";

export class CommittedReader {
  readonly #consumer: Consumer;
  readonly #committed: Fetcher;
  readonly #uncommitted: Fetcher;
  readonly #producer: Producer;

  constructor(bootstrapServers: string) {
    this.#consumer = new Consumer({
      clientId: "eos-test-reader",
      groupId: "eos-test-reader",
      bootstrapBrokers: [bootstrapServers],
      autocommit: false,
    });
    this.#committed = new Fetcher({ client: this.#consumer, maxWaitMs: 10, isolationLevel: 1 });
    this.#uncommitted = new Fetcher({ client: this.#consumer, maxWaitMs: 10, isolationLevel: 0 });
    this.#producer = new Producer({
      clientId: "eos-test-producer",
      bootstrapBrokers: [bootstrapServers],
      idempotent: true,
    });
  }

  /** Every record of `topic` a read_committed consumer sees now (up to the last stable offset). */
  readCommitted(topic: string, partitions: number): Promise<ConsumedRecord[]> {
    return this.#read(this.#committed, topic, partitions);
  }

  /** Every data record of `topic`, aborted transactions included. */
  readUncommitted(topic: string, partitions: number): Promise<ConsumedRecord[]> {
    return this.#read(this.#uncommitted, topic, partitions);
  }

  /** Sends `[key, value, timestampMs]` records, partitioned by key as Kafka's default partitioner. */
  async produce(topic: string, records: readonly (readonly [string, string, number?])[]): Promise<void> {
    await this.#producer.send({
      messages: records.map(([key, value, timestampMs]) => ({
        topic,
        key: Buffer.from(key),
        value: Buffer.from(value),
        ...(timestampMs === undefined ? {} : { timestamp: BigInt(timestampMs) }),
      })),
      partitioner: (_message, key) => (key === undefined ? 0 : murmur2(key, false) & 0x7fffffff),
    });
  }

  async #read(fetcher: Fetcher, topic: string, count: number): Promise<ConsumedRecord[]> {
    const partitions = Array.from({ length: count }, (_, partition) => ({ topic, partition }));
    const ends = await fetcher.listOffsets(partitions, "latest");
    const positions = new Map(partitions.map(({ partition }) => [partition, 0]));
    const records: ConsumedRecord[] = [];
    for (let round = 0; round < 10_000; round++) {
      const behind = partitions.filter(
        ({ partition }) => (positions.get(partition) ?? 0) < (ends.get(`${topic}:${partition}`) ?? 0),
      );
      if (behind.length === 0) return records;
      const fetched = await fetcher.fetch(
        behind.map(({ partition }) => ({ topic, partition, offset: positions.get(partition) ?? 0 })),
      );
      for (const result of fetched) {
        const end = ends.get(`${topic}:${result.partition}`) ?? 0;
        records.push(...result.records.filter((record) => record.offset < end));
        positions.set(result.partition, result.nextOffset);
      }
    }
    throw new Error(`could not read ${topic} to its end`);
  }

  async close(): Promise<void> {
    await Promise.all([this.#consumer.close(), this.#producer.close()]);
  }
}

/**
 * For a counting topology (key → running count): the outputs of each key must be exactly
 * 1, 2, …, n where n is how often the key was sent — one output per input, none twice, none lost.
 * Returns a description of the first difference, or undefined.
 */
export function countingMismatch(
  inputs: readonly (readonly [string, string, number?])[],
  outputs: readonly ConsumedRecord[],
): string | undefined {
  const expected = new Map<string, number>();
  for (const [key] of inputs) expected.set(key, (expected.get(key) ?? 0) + 1);
  const seen = new Map<string, number[]>();
  for (const record of outputs) {
    const key = str(record.key);
    let values = seen.get(key);
    if (values === undefined) seen.set(key, (values = []));
    values.push(Number(str(record.value)));
  }
  for (const [key, count] of expected) {
    const values = (seen.get(key) ?? []).sort((a, b) => a - b);
    const wanted = Array.from({ length: count }, (_, i) => i + 1);
    if (values.join(",") !== wanted.join(",")) return `key ${key}: outputs [${values.join(",")}], expected 1..${count}`;
  }
  for (const key of seen.keys()) if (!expected.has(key)) return `unexpected key ${key}`;
  return undefined;
}
