// Reading partitions without a consumer group: Fetch requests (the client library's Fetch v17
// codec over its connection pool, no fetch sessions) at positions this reader owns, one request
// per leader per round. It drops control records and, under read_committed, records of aborted
// transactions (by the aborted-transactions list each response carries), so `consume` and
// `topic backup` see exactly what a Kafka consumer would.
import { fetchV17 } from "@platformatic/kafka";
import type { Admin, RecordsBatch } from "@platformatic/kafka";
import { sleep } from "../framework/command.ts";
import { CliError, describeFailure, kafkaErrorNames } from "../framework/errors.ts";
import { clusterMetadata, listOffsets, earliest } from "./cluster.ts";

export interface FetchedRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly timestampType: "CreateTime" | "LogAppendTime";
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly (readonly [string, Buffer | null])[];
  /** Approximate bytes of key, value and headers (for throughput). */
  readonly bytes: number;
}

export interface FetcherOptions {
  readonly admin: Admin;
  readonly topic: string;
  /** Start offset per partition (the partitions read are exactly these). */
  readonly start: ReadonlyMap<number, bigint>;
  readonly isolationLevel: 0 | 1;
  readonly partitionMaxBytes?: number;
}

const isTransactional = 1 << 4;
const isControl = 1 << 5;
const logAppendTime = 1 << 3;
const retriableNames = new Set([
  "NOT_LEADER_OR_FOLLOWER",
  "LEADER_NOT_AVAILABLE",
  "FENCED_LEADER_EPOCH",
  "UNKNOWN_LEADER_EPOCH",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "UNKNOWN_TOPIC_ID",
  "REPLICA_NOT_AVAILABLE",
  "KAFKA_STORAGE_ERROR",
  "OFFSET_NOT_AVAILABLE",
]);
const offsetOutOfRange = 1;
const fetchErrorsMax = 20;

/** Decodes the records of fetched batches at or after `from`, dropping control and aborted ones. */
export function recordsOfBatches(
  partition: number,
  batches: readonly RecordsBatch[],
  from: bigint,
  aborted: readonly { readonly producerId: bigint; readonly firstOffset: bigint }[] | null,
): { records: FetchedRecord[]; next: bigint } {
  const pending = [...(aborted ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const abortedProducers = new Set<bigint>();
  const records: FetchedRecord[] = [];
  let next = from;
  for (const batch of batches) {
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (pending.length > 0 && (pending[0]?.firstOffset ?? 0n) <= lastOffset) {
      abortedProducers.add(pending.shift()?.producerId ?? -1n);
    }
    if (lastOffset + 1n > next) next = lastOffset + 1n;
    if ((batch.attributes & isControl) !== 0) {
      // An abort marker ends that producer's aborted transaction.
      const type = batch.records[0]?.key?.length === 4 ? batch.records[0].key.readInt16BE(2) : -1;
      if (type === 0) abortedProducers.delete(batch.producerId);
      continue;
    }
    if ((batch.attributes & isTransactional) !== 0 && abortedProducers.has(batch.producerId)) continue;
    const appendTime = (batch.attributes & logAppendTime) !== 0;
    for (const r of batch.records) {
      const offset = batch.firstOffset + BigInt(r.offsetDelta);
      if (offset < from) continue;
      const headers = r.headers.map(([k, v]) => [k === null ? "" : k.toString("utf8"), v] as const);
      records.push({
        partition,
        offset,
        timestamp: appendTime ? batch.maxTimestamp : batch.firstTimestamp + r.timestampDelta,
        timestampType: appendTime ? "LogAppendTime" : "CreateTime",
        key: r.key,
        value: r.value,
        headers,
        bytes:
          (r.key?.length ?? 0) +
          (r.value?.length ?? 0) +
          headers.reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + (v?.length ?? 0), 0),
      });
    }
  }
  return { records, next };
}

export class PartitionFetcher {
  readonly #options: FetcherOptions;
  readonly positions: Map<number, bigint>;
  /** The high watermark (or last stable offset under read_committed) each partition last reported. */
  readonly ends = new Map<number, bigint>();
  #errors = 0;

  constructor(options: FetcherOptions) {
    this.#options = options;
    this.positions = new Map(options.start);
  }

  /**
   * One round: a Fetch to each leader for the given partitions (default all), waiting up to
   * `maxWaitMs` for data. Returns the records in offset order per partition.
   */
  async fetch(options: {
    maxWaitMs: number;
    partitions?: readonly number[];
    signal: AbortSignal;
  }): Promise<FetchedRecord[]> {
    const { admin, topic, isolationLevel } = this.#options;
    const wanted = options.partitions ?? [...this.positions.keys()];
    if (wanted.length === 0) return [];
    const metadata = await clusterMetadata(admin, [topic]);
    const topicMetadata = metadata.topics.get(topic);
    if (topicMetadata === undefined) throw new CliError(`topic ${JSON.stringify(topic)} disappeared`);
    const byLeader = new Map<number, number[]>();
    for (const p of wanted) {
      const leader = topicMetadata.partitions[p]?.leader ?? -1;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    const results = await Promise.all(
      [...byLeader].map(async ([leader, partitions]) => {
        const broker = metadata.brokers.get(leader);
        if (broker === undefined) return this.#retriable(`partition leader ${leader} is unknown`, options.signal);
        let response: fetchV17.FetchResponse;
        try {
          const connection = await admin.connections.get(broker);
          response = await fetchV17.api.async(
            connection,
            options.maxWaitMs,
            1,
            64 * 1024 * 1024,
            isolationLevel,
            0,
            -1,
            [
              {
                topicId: topicMetadata.id,
                partitions: partitions.map((partition) => ({
                  partition,
                  currentLeaderEpoch: -1,
                  fetchOffset: this.positions.get(partition) ?? 0n,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: this.#options.partitionMaxBytes ?? 4 * 1024 * 1024,
                })),
              },
            ],
            [],
            "",
          );
        } catch (error) {
          const partial = (error as { response?: unknown }).response;
          if (typeof partial === "object" && partial !== null && "responses" in partial) {
            response = partial as fetchV17.FetchResponse;
          } else {
            const names = kafkaErrorNames(error);
            if (names.length > 0 && names.every((n) => retriableNames.has(n)))
              return this.#retriable(names.join(", "), options.signal);
            throw describeFailure(error, `fetching from ${topic}`);
          }
        }
        return this.#records(response, options.signal);
      }),
    );
    this.#errors = 0;
    return results.flat();
  }

  async #retriable(reason: string, signal: AbortSignal): Promise<FetchedRecord[]> {
    this.#errors++;
    if (this.#errors > fetchErrorsMax)
      throw new CliError(`fetching from ${this.#options.topic} keeps failing: ${reason}`);
    this.#options.admin.clearMetadata();
    await sleep(Math.min(1000, 50 * this.#errors), signal);
    return [];
  }

  async #records(response: fetchV17.FetchResponse, signal: AbortSignal): Promise<FetchedRecord[]> {
    const records: FetchedRecord[] = [];
    for (const topic of response.responses) {
      for (const p of topic.partitions) {
        if (p.errorCode === offsetOutOfRange) {
          // The position fell below the log start (retention, DeleteRecords): continue from there.
          const starts = await listOffsets(this.#options.admin, this.#options.topic, [p.partitionIndex], earliest);
          const start = starts.get(p.partitionIndex);
          if (start !== undefined) this.positions.set(p.partitionIndex, start);
          continue;
        }
        if (p.errorCode !== 0) {
          await this.#retriable(`error code ${p.errorCode} from partition ${p.partitionIndex}`, signal);
          continue;
        }
        this.ends.set(p.partitionIndex, this.#options.isolationLevel === 1 ? p.lastStableOffset : p.highWatermark);
        const from = this.positions.get(p.partitionIndex) ?? 0n;
        const { records: decoded, next } = recordsOfBatches(
          p.partitionIndex,
          p.records ?? [],
          from,
          p.abortedTransactions,
        );
        this.positions.set(p.partitionIndex, next);
        records.push(...decoded);
      }
    }
    return records;
  }
}
