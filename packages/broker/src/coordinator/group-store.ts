// Where the group coordinator keeps its state durably: the internal compacted topic
// __consumer_offsets, created on first use. A group's records all go to one partition (by the
// hash of its id, as Kafka does), are written with acks=all, and are replayed at startup.
import { encodeRecordBatch, ErrorCode, iterateBatches, iterateRecords } from "@samsa/protocol";
import type { RecordInput } from "@samsa/protocol";
import type { Logger } from "../logger.ts";
import type { Clock } from "../storage/log-config.ts";
import { TopicError } from "../storage/log-manager.ts";
import type { LogManager, TopicMetadata } from "../storage/log-manager.ts";
import { decodeRecord, encodeRecordKey, encodeRecordValue, UnknownRecordVersion } from "./records.ts";
import type { CoordinatorRecord } from "./records.ts";

export const offsetsTopicName = "__consumer_offsets";

export type AppendOutcome =
  | { readonly ok: true; readonly lastOffset: number }
  | { readonly ok: false; readonly errorCode: number; readonly message: string };

/** The coordinator's durable state: appends (acks=all) and a replay at startup. */
export interface GroupStore {
  /** Appends records of one group durably; resolves with the log offset of the last one. */
  append(groupId: string, records: readonly CoordinatorRecord[]): Promise<AppendOutcome>;
  /**
   * Calls `visit` for every stored record in log order (per partition, so per group), with its
   * log offset. Throws when the log cannot be read or holds a malformed record.
   */
  replay(
    visit: (record: CoordinatorRecord, offset: number) => void,
    options: { stopped: () => boolean },
  ): Promise<void>;
}

/** Java's String.hashCode, so a group maps to the partition Kafka would choose. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's partitionFor: Utils.abs(groupId.hashCode) % partitions (abs(MIN_VALUE) is 0). */
export function partitionForGroup(groupId: string, partitions: number): number {
  const h = javaStringHash(groupId);
  return (h === -(2 ** 31) ? 0 : Math.abs(h)) % partitions;
}

export class LogGroupStore implements GroupStore {
  private readonly logs: LogManager;
  private readonly partitions: number;
  private readonly segmentBytes: number;
  private readonly loadBufferBytes: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private creating: Promise<TopicMetadata> | undefined;

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
    this.logs = options.logs;
    this.partitions = options.partitions;
    this.segmentBytes = options.segmentBytes;
    this.loadBufferBytes = options.loadBufferBytes;
    this.clock = options.clock;
    this.logger = options.logger;
  }

  private topic(): TopicMetadata | Promise<TopicMetadata> {
    const existing = this.logs.topic(offsetsTopicName);
    if (existing !== undefined) return existing;
    this.creating ??= this.logs
      .createTopic({
        name: offsetsTopicName,
        partitions: this.partitions,
        configs: { "cleanup.policy": "compact", "segment.bytes": String(this.segmentBytes) },
      })
      .then(
        (topic) => {
          this.logger.log("info", "created the internal topic", {
            topic: offsetsTopicName,
            partitions: topic.partitions,
          });
          return topic;
        },
        (error: unknown) => {
          // Created concurrently (say, by a client's Metadata request): use it as it is.
          const again = this.logs.topic(offsetsTopicName);
          if (error instanceof TopicError && again !== undefined) return again;
          throw error;
        },
      )
      .finally(() => {
        this.creating = undefined;
      });
    return this.creating;
  }

  async append(groupId: string, records: readonly CoordinatorRecord[]): Promise<AppendOutcome> {
    if (records.length === 0) return { ok: true, lastOffset: -1 };
    let topic: TopicMetadata;
    try {
      topic = await this.topic();
    } catch (error) {
      return { ok: false, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, message: String(error) };
    }
    const partition = partitionForGroup(groupId, topic.partitions);
    const log = this.logs.log(offsetsTopicName, partition);
    if (log === undefined) {
      return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: "offsets partition is gone" };
    }
    const timestamp = BigInt(this.clock.nowMs());
    const inputs: RecordInput[] = records.map((record) => ({
      key: encodeRecordKey(record),
      value: encodeRecordValue(record),
      timestamp,
    }));
    const result = await log.append(encodeRecordBatch({ records: inputs }), { requiredAcks: -1, leaderEpoch: 0 });
    if ("baseOffset" in result) return { ok: true, lastOffset: result.lastOffset };
    return { ok: false, errorCode: result.errorCode, message: result.errorMessage };
  }

  async replay(
    visit: (record: CoordinatorRecord, offset: number) => void,
    options: { stopped: () => boolean },
  ): Promise<void> {
    const topic = this.logs.topic(offsetsTopicName);
    if (topic === undefined) return;
    let skipped = 0;
    for (let p = 0; p < topic.partitions; p++) {
      const log = this.logs.log(offsetsTopicName, p);
      if (log === undefined) continue;
      let offset = log.logStartOffset;
      const end = log.highWatermark;
      while (offset < end && !options.stopped()) {
        const read = await log.read({ offset, maxBytes: this.loadBufferBytes, maxOffset: end, minOneBatch: true });
        if (read.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && offset < log.logStartOffset) {
          offset = log.logStartOffset; // retention or compaction moved the start while we read
          continue;
        }
        if (read.errorCode !== 0)
          throw new Error(`reading ${offsetsTopicName}-${p} failed with error ${read.errorCode}`);
        let next = offset;
        for (const batch of iterateBatches(read.records)) {
          next = Number(batch.header.lastOffset) + 1;
          if (batch.header.control) continue;
          for (const record of iterateRecords(batch.bytes, { maxBytes: this.loadBufferBytes * 16 })) {
            const at = Number(record.offset);
            if (at < offset || record.key === null) continue;
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
            visit(decoded, at);
          }
        }
        if (next <= offset) break; // nothing readable below the end (cannot happen with a sound log)
        offset = next;
      }
    }
    if (skipped > 0)
      this.logger.log("warn", "skipped records of unknown versions", { topic: offsetsTopicName, skipped });
  }
}
