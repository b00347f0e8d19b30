// Where the group coordinator keeps its state durably: the internal compacted topic
// __consumer_offsets, created on first use. A group's records all go to one partition (by the
// hash of its id, as Kafka does), are written with acks=all, and are replayed at startup.
// Transactional offset commits are written as transactional batches of the producer, ended by
// the end-transaction markers the transaction coordinator has written to the same partition.
import { decodeControlRecord, encodeRecordBatch, ErrorCode, iterateRecords } from "@samsa/protocol";
import type { RecordInput } from "@samsa/protocol";
import type { Logger } from "../logger.ts";
import type { TxnMarker } from "../txn-markers.ts";
import type { Clock } from "../storage/log-config.ts";
import type { LogManager, TopicMetadata } from "../storage/log-manager.ts";
import { InternalTopic, partitionForGroup } from "./internal-topic.ts";
import { decodeRecord, encodeRecordKey, encodeRecordValue, UnknownRecordVersion } from "./records.ts";
import type { CoordinatorRecord } from "./records.ts";

export const offsetsTopicName = "__consumer_offsets";

export type AppendOutcome =
  | { readonly ok: true; readonly lastOffset: number }
  | { readonly ok: false; readonly errorCode: number; readonly message: string };

/** The producer a transactional write (TxnOffsetCommit) belongs to. */
export interface TxnProducer {
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/** What a replay hands over, in log order per partition. */
export type ReplayedEntry =
  | {
      readonly kind: "record";
      readonly record: CoordinatorRecord;
      readonly partition: number;
      readonly offset: number;
      /** The producer of the transactional batch holding it; -1n outside transactions. */
      readonly producerId: bigint;
    }
  | {
      /** An end-transaction marker: the producer's earlier records on this partition commit or abort. */
      readonly kind: "marker";
      readonly partition: number;
      readonly offset: number;
      readonly producerId: bigint;
      readonly commit: boolean;
    };

/** The coordinator's durable state: appends (acks=all) and a replay at startup. */
export interface GroupStore {
  /** The __consumer_offsets partition holding a group's records. */
  partitionFor(groupId: string): number;
  /**
   * Appends records of one group durably, as one batch; resolves with the log offset of the last
   * one. With `txn`, the batch is a transactional batch of that producer (its epoch is checked).
   */
  append(
    groupId: string,
    records: readonly CoordinatorRecord[],
    options?: { readonly txn?: TxnProducer },
  ): Promise<AppendOutcome>;
  /**
   * Appends an end-transaction marker to one partition durably. Resolves `lastOffset` -1 without
   * writing when the topic does not exist yet: no transaction can have written to it.
   */
  appendMarker(partition: number, marker: TxnMarker): Promise<AppendOutcome>;
  /**
   * Calls `visit` for every stored record and end-transaction marker in log order (per
   * partition, so per group), with its log offset. Throws when the log cannot be read or holds a
   * malformed record.
   */
  replay(visit: (entry: ReplayedEntry) => void, options: { stopped: () => boolean }): Promise<void>;
}

export { javaStringHash, partitionForGroup } from "./internal-topic.ts";

export class LogGroupStore implements GroupStore {
  private readonly topic: InternalTopic;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(options: {
    logs: LogManager;
    /** offsets.topic.num.partitions: used only when the topic is created. */
    partitions: number;
    /** offsets.topic.segment.bytes */
    segmentBytes: number;
    /** offsets.load.buffer.size: bytes read at a time while replaying. */
    loadBufferBytes: number;
    clock: Clock;
    logger: Logger;
  }) {
    this.topic = new InternalTopic({ ...options, name: offsetsTopicName });
    this.clock = options.clock;
    this.logger = options.logger;
  }

  partitionFor(groupId: string): number {
    return this.topic.partitionFor(groupId);
  }

  async append(
    groupId: string,
    records: readonly CoordinatorRecord[],
    options: { readonly txn?: TxnProducer } = {},
  ): Promise<AppendOutcome> {
    if (records.length === 0) return { ok: true, lastOffset: -1 };
    let topic: TopicMetadata;
    try {
      topic = await this.topic.topic();
    } catch (error) {
      return { ok: false, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, message: String(error) };
    }
    const log = this.topic.log(partitionForGroup(groupId, topic.partitions));
    if (log === undefined) {
      return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: "offsets partition is gone" };
    }
    const timestamp = BigInt(this.clock.nowMs());
    const inputs: RecordInput[] = records.map((record) => ({
      key: encodeRecordKey(record),
      value: encodeRecordValue(record),
      timestamp,
    }));
    const { txn } = options;
    // A transactional batch as Kafka's coordinator writes one: the producer's id and epoch, no sequence.
    const batch =
      txn === undefined
        ? encodeRecordBatch({ records: inputs })
        : encodeRecordBatch({
            records: inputs,
            producerId: txn.producerId,
            producerEpoch: txn.producerEpoch,
            baseSequence: -1,
            transactional: true,
          });
    const result = await log.append(batch, {
      requiredAcks: -1,
      leaderEpoch: 0,
      ...(txn === undefined ? {} : { origin: "coordinator" as const }),
    });
    if ("baseOffset" in result) return { ok: true, lastOffset: result.lastOffset };
    return { ok: false, errorCode: result.errorCode, message: result.errorMessage };
  }

  async appendMarker(partition: number, marker: TxnMarker): Promise<AppendOutcome> {
    // Being created (by a first commit): wait for it, the marker may have records to end there.
    if ((await this.topic.existing()) === undefined) return { ok: true, lastOffset: -1 };
    const log = this.topic.log(partition);
    if (log === undefined) {
      return {
        ok: false,
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        message: `${offsetsTopicName}-${partition} does not exist`,
      };
    }
    const result = await log.appendMarker({ ...marker, timestampMs: this.clock.nowMs(), leaderEpoch: 0 });
    if ("baseOffset" in result) return { ok: true, lastOffset: result.lastOffset };
    return { ok: false, errorCode: result.errorCode, message: result.errorMessage };
  }

  async replay(visit: (entry: ReplayedEntry) => void, options: { stopped: () => boolean }): Promise<void> {
    let skipped = 0;
    for await (const { partition: p, batch, from } of this.topic.readAll(options.stopped)) {
      const { producerId, control, transactional } = batch.header;
      for (const record of iterateRecords(batch.bytes, { maxBytes: this.topic.recordBytesMax })) {
        const at = Number(record.offset);
        if (at < from) continue;
        if (control) {
          let type: string;
          try {
            type = decodeControlRecord(record).type;
          } catch (error) {
            throw new Error(`malformed control record at ${offsetsTopicName}-${p} offset ${at}`, { cause: error });
          }
          // Other control records (none are written here today) say nothing about transactions.
          if (type === "commit" || type === "abort") {
            visit({ kind: "marker", partition: p, offset: at, producerId, commit: type === "commit" });
          }
          continue;
        }
        if (record.key === null) continue;
        let decoded: CoordinatorRecord;
        try {
          decoded = decodeRecord(record.key, record.value);
        } catch (error) {
          if (error instanceof UnknownRecordVersion) {
            skipped++;
            continue;
          }
          throw new Error(`malformed record at ${offsetsTopicName}-${p} offset ${at}`, { cause: error });
        }
        visit({
          kind: "record",
          record: decoded,
          partition: p,
          offset: at,
          producerId: transactional ? producerId : -1n,
        });
      }
    }
    if (skipped > 0)
      this.logger.log("warn", "skipped records of unknown versions", { topic: offsetsTopicName, skipped });
  }
}
