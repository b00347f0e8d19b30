// Reads partitions from given offsets through the client library's low-level fetch (one request per
// partition leader), so the runtime owns positions: seek is setting an offset, pause is leaving a
// partition out. Used by the stream thread (source topics), restoration (changelogs) and the
// global thread. Records come back as ConsumedRecord; control batches only advance the position.
// With read_committed (exactly once), batches of aborted transactions are dropped as Kafka's
// consumer drops them: by the response's aborted-transaction list and the abort markers.
import { IS_CONTROL, IS_TRANSACTIONAL } from "@platformatic/kafka";
import type { Consumer, KafkaRecord, RecordsBatch, fetchV17 } from "@platformatic/kafka";
import { noHeaders } from "../record.ts";
import type { Headers } from "../record.ts";
import type { ConsumedRecord } from "../runtime-contract.ts";

export interface FetchPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface FetchedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly records: ConsumedRecord[];
  /** The next offset to fetch (past control batches too); equals the requested offset when nothing came. */
  readonly nextOffset: number;
  readonly highWatermark: number;
  /**
   * Where a consumer's lag is measured to (Kafka's currentLag): the high watermark, or the last
   * stable offset under read_committed (records past it are not readable yet).
   */
  readonly endOffset: number;
  readonly logStartOffset: number;
  /** OFFSET_OUT_OF_RANGE: the caller resets (Kafka Streams: to the earliest offset). */
  readonly outOfRange: boolean;
}

type FetchRequestTopic = fetchV17.FetchRequestTopic;
type FetchResponse = fetchV17.FetchResponse;

const offsetOutOfRange = 1;
const logAppendTimeAttribute = 0x08;

function toHeaders(headers: KafkaRecord["headers"]): Headers {
  if (headers.length === 0) return noHeaders;
  return headers.map(([key, value]) => [key === null ? "" : key.toString("utf8"), value] as const);
}

/** Control record type of an abort marker (the key is version int16, type int16). */
const abortMarkerType = 0;

/**
 * The batches a read_committed consumer sees: a transactional batch is dropped when its producer
 * has an aborted transaction starting at or before the batch's last offset that no abort marker
 * has closed yet (the broker lists the aborted transactions overlapping the fetched range).
 * Control batches are dropped too.
 */
export function committedBatches(
  batches: readonly RecordsBatch[],
  abortedTransactions: readonly { readonly producerId: bigint; readonly firstOffset: bigint }[] | null,
): RecordsBatch[] {
  const pending = [...(abortedTransactions ?? [])].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
  );
  let next = 0;
  const abortedProducers = new Set<bigint>();
  const kept: RecordsBatch[] = [];
  for (const batch of batches) {
    const control = (batch.attributes & IS_CONTROL) !== 0;
    if ((batch.attributes & IS_TRANSACTIONAL) !== 0 && batch.producerId >= 0n) {
      const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
      while (next < pending.length && (pending[next]?.firstOffset ?? lastOffset + 1n) <= lastOffset)
        abortedProducers.add((pending[next++] as { producerId: bigint }).producerId);
      if (control) {
        if (batch.records[0]?.key?.readInt16BE(2) === abortMarkerType) abortedProducers.delete(batch.producerId);
        continue;
      }
      if (abortedProducers.has(batch.producerId)) continue;
    }
    if (!control) kept.push(batch);
  }
  return kept;
}

function toRecords(
  topic: string,
  partition: number,
  batches: readonly RecordsBatch[],
  fromOffset: number,
): ConsumedRecord[] {
  const records: ConsumedRecord[] = [];
  for (const batch of batches) {
    if ((batch.attributes & IS_CONTROL) !== 0) continue;
    const firstOffset = Number(batch.firstOffset);
    const logAppendTime = (batch.attributes & logAppendTimeAttribute) !== 0;
    const firstTimestamp = Number(batch.firstTimestamp);
    for (const record of batch.records) {
      const offset = firstOffset + record.offsetDelta;
      if (offset < fromOffset) continue;
      records.push({
        topic,
        partition,
        offset,
        key: record.key,
        value: record.value,
        timestampMs: logAppendTime ? Number(batch.maxTimestamp) : firstTimestamp + Number(record.timestampDelta),
        headers: toHeaders(record.headers),
      });
    }
  }
  return records;
}

function responseOf(error: unknown): FetchResponse | undefined {
  if (typeof error !== "object" || error === null || !("response" in error)) return undefined;
  const response = (error as { response?: unknown }).response;
  if (typeof response === "object" && response !== null && "responses" in response) return response as FetchResponse;
  return undefined;
}

export class Fetcher {
  readonly #client: Consumer;
  readonly #maxWaitMs: number;
  readonly #partitionMaxBytes: number;
  readonly #isolationLevel: number;
  /**
   * The offsets each partition's last answer reported. The client library fetches in incremental
   * sessions (KIP-227), in which Kafka leaves out a partition whose data and offsets did not change:
   * such a partition is answered from here (no records, the offsets it last had).
   */
  readonly #lastOffsets = new Map<string, { highWatermark: number; endOffset: number; logStartOffset: number }>();

  constructor(options: {
    readonly client: Consumer;
    readonly maxWaitMs: number;
    readonly partitionMaxBytes?: number;
    /** 0 read_uncommitted, 1 read_committed (exactly-once). */
    readonly isolationLevel?: number;
  }) {
    this.#client = options.client;
    this.#maxWaitMs = options.maxWaitMs;
    this.#partitionMaxBytes = options.partitionMaxBytes ?? 1_048_576;
    this.#isolationLevel = options.isolationLevel ?? 0;
  }

  /** Fetches every position once (waiting up to maxWaitMs for data); partitions with an error other than out-of-range are left out. */
  async fetch(positions: readonly FetchPosition[]): Promise<FetchedPartition[]> {
    if (positions.length === 0) return [];
    const topics = [...new Set(positions.map((position) => position.topic))];
    for (const topic of topics) this.#client.topics.track(topic);
    const metadata = await this.#client.metadata({ topics });
    const nameById = new Map<string, string>();
    const byLeader = new Map<number, Map<string, FetchRequestTopic>>();
    const requested = new Map<string, number>();
    for (const position of positions) {
      const topic = metadata.topics.get(position.topic);
      const leader = topic?.partitions[position.partition]?.leader;
      if (topic === undefined || leader === undefined) continue;
      nameById.set(topic.id, position.topic);
      requested.set(`${position.topic}:${position.partition}`, position.offset);
      let topicsOfLeader = byLeader.get(leader);
      if (topicsOfLeader === undefined) byLeader.set(leader, (topicsOfLeader = new Map<string, FetchRequestTopic>()));
      let request = topicsOfLeader.get(topic.id);
      if (request === undefined) topicsOfLeader.set(topic.id, (request = { topicId: topic.id, partitions: [] }));
      request.partitions.push({
        partition: position.partition,
        fetchOffset: BigInt(position.offset),
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
        partitionMaxBytes: this.#partitionMaxBytes,
      });
    }
    const responses = await Promise.all(
      [...byLeader].map(async ([node, requestTopics]) => {
        try {
          return await this.#client.fetch({
            node,
            topics: [...requestTopics.values()],
            maxWaitTime: this.#maxWaitMs,
            isolationLevel: this.#isolationLevel,
          });
        } catch (error) {
          // Partition-level errors arrive as an error carrying the whole response.
          const response = responseOf(error);
          if (response === undefined) throw error;
          this.#client.clearMetadata();
          return response;
        }
      }),
    );
    const fetched: FetchedPartition[] = [];
    for (const response of responses) {
      for (const topicResponse of response.responses) {
        const topic = nameById.get(topicResponse.topicId) ?? topicResponse.topicId;
        for (const partitionResponse of topicResponse.partitions) {
          const partition = partitionResponse.partitionIndex;
          // An incremental fetch session may echo partitions this request did not ask for.
          const fromOffset = requested.get(`${topic}:${partition}`);
          if (fromOffset === undefined) continue;
          requested.delete(`${topic}:${partition}`);
          const outOfRange = partitionResponse.errorCode === offsetOutOfRange;
          if (partitionResponse.errorCode !== 0 && !outOfRange) continue;
          const batches = partitionResponse.records ?? [];
          const last = batches.at(-1);
          const nextOffset =
            last === undefined ? fromOffset : Math.max(fromOffset, Number(last.firstOffset) + last.lastOffsetDelta + 1);
          fetched.push({
            topic,
            partition,
            records: outOfRange
              ? []
              : toRecords(
                  topic,
                  partition,
                  this.#isolationLevel === 1
                    ? committedBatches(batches, partitionResponse.abortedTransactions)
                    : batches,
                  fromOffset,
                ),
            nextOffset,
            ...this.#remember(topic, partition, {
              highWatermark: Number(partitionResponse.highWatermark),
              endOffset: Number(
                this.#isolationLevel === 1 ? partitionResponse.lastStableOffset : partitionResponse.highWatermark,
              ),
              logStartOffset: Number(partitionResponse.logStartOffset),
            }),
            outOfRange,
          });
        }
      }
    }
    // Left out of an incremental session's answer: unchanged since its last answer.
    for (const [key, fromOffset] of requested) {
      const last = this.#lastOffsets.get(key);
      const separator = key.lastIndexOf(":");
      if (last === undefined || separator < 0) continue;
      fetched.push({
        topic: key.slice(0, separator),
        partition: Number(key.slice(separator + 1)),
        records: [],
        nextOffset: fromOffset,
        ...last,
        outOfRange: false,
      });
    }
    return fetched;
  }

  #remember(
    topic: string,
    partition: number,
    offsets: { highWatermark: number; endOffset: number; logStartOffset: number },
  ): { highWatermark: number; endOffset: number; logStartOffset: number } {
    this.#lastOffsets.set(`${topic}:${partition}`, offsets);
    return offsets;
  }

  /** Earliest (log start) or latest (high watermark; last stable offset when read_committed) offsets. */
  async listOffsets(
    partitions: readonly { readonly topic: string; readonly partition: number }[],
    which: "earliest" | "latest",
  ): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    if (partitions.length === 0) return result;
    const byTopic: Record<string, number[]> = {};
    for (const { topic, partition } of partitions) (byTopic[topic] ??= []).push(partition);
    const offsets = await this.#client.listOffsets({
      topics: Object.keys(byTopic),
      partitions: byTopic,
      timestamp: which === "earliest" ? -2n : -1n,
      isolationLevel: this.#isolationLevel,
    });
    for (const [topic, perPartition] of offsets)
      perPartition.forEach((offset, partition) => {
        if (offset !== undefined) result.set(`${topic}:${partition}`, Number(offset));
      });
    return result;
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}
