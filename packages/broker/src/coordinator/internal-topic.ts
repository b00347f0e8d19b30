// An internal compacted topic a coordinator keeps its state in (__consumer_offsets,
// __transaction_state): created on first use with the configs it needs, keyed to partitions as
// Kafka does (by the Java hash of the key), and read back batch by batch at startup.
import { ErrorCode, iterateBatches } from "@samsa/protocol";
import type { RecordBatchView } from "@samsa/protocol";
import type { Logger } from "../logger.ts";
import { TopicError } from "../storage/log-manager.ts";
import type { LogManager, TopicMetadata } from "../storage/log-manager.ts";
import type { PartitionLog } from "../storage/partition-log.ts";

/** Java's String.hashCode, so a key maps to the partition Kafka would choose. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's partitionFor: Utils.abs(key.hashCode) % partitions (abs(MIN_VALUE) is 0). */
export function partitionForGroup(key: string, partitions: number): number {
  const h = javaStringHash(key);
  return (h === -(2 ** 31) ? 0 : Math.abs(h)) % partitions;
}

/** A stored batch met while reading the topic back; records below `from` were read before. */
export interface ReadBatch {
  readonly partition: number;
  readonly batch: RecordBatchView;
  readonly from: number;
}

export class InternalTopic {
  readonly name: string;
  private readonly logs: LogManager;
  private readonly partitions: number;
  private readonly segmentBytes: number;
  private readonly loadBufferBytes: number;
  private readonly logger: Logger;
  private creatingTopic: Promise<TopicMetadata> | undefined;

  constructor(options: {
    logs: LogManager;
    name: string;
    /** Partitions when the topic is created (`*.num.partitions`). */
    partitions: number;
    segmentBytes: number;
    /** Bytes read at a time while reading back (`*.load.buffer.size`). */
    loadBufferBytes: number;
    logger: Logger;
  }) {
    this.logs = options.logs;
    this.name = options.name;
    this.partitions = options.partitions;
    this.segmentBytes = options.segmentBytes;
    this.loadBufferBytes = options.loadBufferBytes;
    this.logger = options.logger;
  }

  /** Records of one batch are bounded by this many bytes when decompressed. */
  get recordBytesMax(): number {
    return this.loadBufferBytes * 16;
  }

  /** The topic, if it exists, or once the creation under way finishes; undefined otherwise. */
  async existing(): Promise<TopicMetadata | undefined> {
    const topic = this.logs.topic(this.name);
    if (topic !== undefined || this.creatingTopic === undefined) return topic;
    return this.creatingTopic.catch(() => undefined);
  }

  /** The topic, created (compacted) on first use. */
  topic(): TopicMetadata | Promise<TopicMetadata> {
    const existing = this.logs.topic(this.name);
    if (existing !== undefined) return existing;
    this.creatingTopic ??= this.logs
      .createTopic({
        name: this.name,
        partitions: this.partitions,
        configs: { "cleanup.policy": "compact", "segment.bytes": String(this.segmentBytes) },
      })
      .then(
        (topic) => {
          this.logger.log("info", "created the internal topic", { topic: this.name, partitions: topic.partitions });
          return topic;
        },
        (error: unknown) => {
          // Created concurrently (say, by a client's Metadata request): use it as it is.
          const again = this.logs.topic(this.name);
          if (error instanceof TopicError && again !== undefined) return again;
          throw error;
        },
      )
      .finally(() => {
        this.creatingTopic = undefined;
      });
    return this.creatingTopic;
  }

  /** The partition `key` belongs to: by the topic's partition count once it exists. */
  partitionFor(key: string): number {
    return partitionForGroup(key, this.logs.topic(this.name)?.partitions ?? this.partitions);
  }

  log(partition: number): PartitionLog | undefined {
    return this.logs.log(this.name, partition);
  }

  /**
   * Every stored batch, partition by partition, in log order up to each high watermark as it was
   * when that partition's read began. Throws when a partition cannot be read.
   */
  async *readAll(stopped: () => boolean): AsyncGenerator<ReadBatch> {
    const topic = this.logs.topic(this.name);
    if (topic === undefined) return;
    for (let partition = 0; partition < topic.partitions; partition++) {
      const log = this.logs.log(this.name, partition);
      if (log === undefined) continue;
      let offset = log.logStartOffset;
      const end = log.highWatermark;
      while (offset < end && !stopped()) {
        const read = await log.read({ offset, maxBytes: this.loadBufferBytes, maxOffset: end, minOneBatch: true });
        if (read.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && offset < log.logStartOffset) {
          offset = log.logStartOffset; // retention or compaction moved the start while we read
          continue;
        }
        if (read.errorCode !== 0)
          throw new Error(`reading ${this.name}-${partition} failed with error ${read.errorCode}`);
        let next = offset;
        for (const batch of iterateBatches(read.records)) {
          next = Number(batch.header.lastOffset) + 1;
          yield { partition, batch, from: offset };
        }
        if (next <= offset) break; // nothing readable below the end (cannot happen with a sound log)
        offset = next;
      }
    }
  }
}
