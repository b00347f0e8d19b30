// Ships the records tasks emit (sinks, repartition topics, changelogs) in batches, one send in
// flight at a time so an idempotent producer keeps their order, and remembers the offset of the
// last acknowledged record per partition — the changelog offsets stores checkpoint at commit.
// Kafka Streams' RecordCollector. Keyless records without a partition go round robin; keyed
// ones to toPositive(murmur2(key)) % partitions, as Kafka's default partitioner does. Under exactly
// once the sends go into the thread's transaction, and acknowledged offsets are real record offsets
// (the broker places transaction markers between transactions; restoring after a checkpoint skips them).
import type { MessageToProduce, ProduceResult } from "@platformatic/kafka";
import { toBuffer } from "../bytes.ts";
import { partitionForKey } from "../murmur2.ts";
import type { OutgoingRecord } from "../runtime-contract.ts";
import { StreamsError, errorMessage } from "./errors.ts";
import { partitionKey } from "./fetcher.ts";

export type SendBatch = (messages: MessageToProduce[]) => Promise<ProduceResult>;

const noPartitionCounts: ReadonlyMap<string, number> = new Map();

export class RecordCollector {
  readonly #send: SendBatch;
  readonly #partitionCount: (topics: readonly string[]) => Promise<ReadonlyMap<string, number>>;
  readonly #batchRecordsMax: number;
  readonly #onError: ((error: StreamsError) => void) | undefined;
  #pending: OutgoingRecord[] = [];
  #inFlight: Promise<void> | undefined;
  /** Bumped by discard(): completions of sends started before it are ignored. */
  #epoch = 0;
  #error: StreamsError | undefined;
  readonly #acked = new Map<string, number>();
  readonly #roundRobin = new Map<string, number>();

  constructor(options: {
    readonly send: SendBatch;
    /** Partition counts of topics (cached by the caller). */
    readonly partitionCounts: (topics: readonly string[]) => Promise<ReadonlyMap<string, number>>;
    readonly batchRecordsMax?: number;
    /**
     * Told once when a send fails for good, so the failure surfaces now rather than at the next
     * send or flush (which may never come when the input has ended).
     */
    readonly onError?: (error: StreamsError) => void;
  }) {
    this.#send = options.send;
    this.#partitionCount = options.partitionCounts;
    this.#batchRecordsMax = options.batchRecordsMax ?? 10_000;
    this.#onError = options.onError;
  }

  /** Called synchronously by tasks; throws once a previous send failed for good. */
  send(record: OutgoingRecord): void {
    if (this.#error !== undefined) throw this.#error;
    this.#pending.push(record);
    if (this.#pending.length >= this.#batchRecordsMax) this.ship();
  }

  /** Starts sending what is buffered, unless a send is in flight (it ships the rest when it completes). */
  ship(): void {
    if (this.#inFlight !== undefined || this.#pending.length === 0 || this.#error !== undefined) return;
    const batch = this.#pending.splice(0, this.#batchRecordsMax);
    const epoch = this.#epoch;
    this.#inFlight = this.#sendBatch(batch, epoch).then(
      () => {
        if (epoch !== this.#epoch) return;
        this.#inFlight = undefined;
        this.ship();
      },
      (error: unknown) => {
        if (epoch !== this.#epoch) return;
        this.#inFlight = undefined;
        const failure =
          error instanceof StreamsError
            ? error
            : new StreamsError("SEND_FAILED", `sending records failed: ${errorMessage(error)}`, { cause: error });
        this.#error = failure;
        this.#onError?.(failure);
      },
    );
  }

  /** Resolves once everything sent so far is acknowledged; rejects with the first send failure. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      this.ship();
      if (this.#inFlight === undefined) {
        if (this.#pending.length === 0) return;
        continue;
      }
      await this.#inFlight;
    }
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  /** The offset of the last acknowledged record sent to a partition (seeded after restoration). */
  ackedOffset(topic: string, partition: number): number | undefined {
    return this.#acked.get(partitionKey(topic, partition));
  }

  seedAckedOffset(topic: string, partition: number, offset: number): void {
    const key = partitionKey(topic, partition);
    if ((this.#acked.get(key) ?? -1) < offset) this.#acked.set(key, offset);
  }

  /**
   * Drops buffered records (closing dirty after an error: they were never committed). With
   * `forgetOffsets` (exactly once, after an abort) also what was acknowledged — offsets in an
   * aborted transaction — and a send failure, so the thread can go on with new tasks; a send still
   * in flight is ignored when it completes.
   */
  discard(options: { readonly forgetOffsets?: boolean } = {}): void {
    this.#pending = [];
    if (options.forgetOffsets !== true) return;
    this.#epoch++;
    this.#inFlight = undefined;
    this.#error = undefined;
    this.#acked.clear();
  }

  async #sendBatch(batch: readonly OutgoingRecord[], epoch: number): Promise<void> {
    // Per record, only what the client library needs: no strings or maps keyed by partition.
    let unpartitioned: string[] | undefined;
    for (const record of batch) {
      if (record.partition === undefined && unpartitioned?.includes(record.topic) !== true)
        (unpartitioned ??= []).push(record.topic);
    }
    const counts = unpartitioned === undefined ? noPartitionCounts : await this.#partitionCount(unpartitioned);
    // Records per partition of each topic, to turn a partition's base offset into its last record's.
    const perTopic = new Map<string, number[]>();
    let lastTopic: string | undefined;
    let lastCounts: number[] = [];
    const messages = new Array<MessageToProduce>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const record = batch[i] as OutgoingRecord;
      const topic = record.topic;
      const partition = record.partition ?? this.#partitionFor(record, counts.get(topic));
      if (topic !== lastTopic) {
        let topicCounts = perTopic.get(topic);
        if (topicCounts === undefined) perTopic.set(topic, (topicCounts = []));
        lastTopic = topic;
        lastCounts = topicCounts;
      }
      lastCounts[partition] = (lastCounts[partition] ?? 0) + 1;
      const message: MessageToProduce = { topic, partition, timestamp: BigInt(record.timestampMs) };
      if (record.key !== null) message.key = toBuffer(record.key);
      if (record.value !== null) message.value = toBuffer(record.value);
      // Buffer keys: one Map entry per header even when a name repeats. A null value is valid on
      // the wire and the library's writer encodes it as such, though its type says Buffer.
      if (record.headers.length > 0)
        message.headers = new Map(
          record.headers.map(([name, value]) => [
            Buffer.from(name, "utf8"),
            value === null ? (null as unknown as Buffer) : toBuffer(value),
          ]),
        );
      messages[i] = message;
    }
    const result = await this.#send(messages);
    if (epoch !== this.#epoch) return;
    for (const { topic, partition, offset } of result.offsets ?? []) {
      const count = perTopic.get(topic)?.[partition];
      if (count !== undefined) this.seedAckedOffset(topic, partition, Number(offset) + count - 1);
    }
  }

  #partitionFor(record: OutgoingRecord, partitions: number | undefined): number {
    if (partitions === undefined || partitions <= 0)
      throw new StreamsError("SEND_FAILED", `topic ${record.topic} does not exist (cannot pick a partition)`);
    if (record.key !== null) return partitionForKey(record.key, partitions);
    const next = this.#roundRobin.get(record.topic) ?? 0;
    this.#roundRobin.set(record.topic, next + 1);
    return next % partitions;
  }
}
