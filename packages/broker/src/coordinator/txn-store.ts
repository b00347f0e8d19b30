// Where the transaction coordinator keeps its state durably: the internal compacted topic
// __transaction_state, created on first use. A transactional id's records all go to one
// partition (by the hash of the id, as Kafka does), are written with acks=all, and are replayed
// at startup (the last record per id wins).
import { encodeRecordBatch, ErrorCode, iterateRecords } from "@samsa/protocol";
import type { Logger } from "../logger.ts";
import type { Clock } from "../storage/log-config.ts";
import type { LogManager, TopicMetadata } from "../storage/log-manager.ts";
import type { AppendOutcome } from "./group-store.ts";
import { InternalTopic, partitionForGroup } from "./internal-topic.ts";
import { decodeTxnRecord, encodeTxnKey, encodeTxnValue, UnknownTxnRecordVersion } from "./txn-records.ts";
import type { TxnMetadataValue, TxnRecord } from "./txn-records.ts";

export const transactionTopicName = "__transaction_state";

/** The coordinator's durable state: appends (acks=all) and a replay at startup. */
export interface TxnStore {
  /** Stores the metadata of `transactionalId` (null: forget it) durably. */
  append(transactionalId: string, value: TxnMetadataValue | null): Promise<AppendOutcome>;
  /** Calls `visit` for every stored record in log order. Throws when the log cannot be read or a record is malformed. */
  replay(visit: (record: TxnRecord) => void, options: { stopped: () => boolean }): Promise<void>;
}

export class LogTxnStore implements TxnStore {
  private readonly topic: InternalTopic;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(options: {
    logs: LogManager;
    /** transaction.state.log.num.partitions: used only when the topic is created. */
    partitions: number;
    segmentBytes: number;
    loadBufferBytes: number;
    clock: Clock;
    logger: Logger;
  }) {
    this.topic = new InternalTopic({ ...options, name: transactionTopicName });
    this.clock = options.clock;
    this.logger = options.logger;
  }

  async append(transactionalId: string, value: TxnMetadataValue | null): Promise<AppendOutcome> {
    let topic: TopicMetadata;
    try {
      topic = await this.topic.topic();
    } catch (error) {
      return { ok: false, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, message: String(error) };
    }
    const log = this.topic.log(partitionForGroup(transactionalId, topic.partitions));
    if (log === undefined) {
      return {
        ok: false,
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        message: "transaction log partition is gone",
      };
    }
    const batch = encodeRecordBatch({
      records: [
        {
          key: encodeTxnKey(transactionalId),
          value: value === null ? null : encodeTxnValue(value),
          timestamp: BigInt(this.clock.nowMs()),
        },
      ],
    });
    const result = await log.append(batch, { requiredAcks: -1, leaderEpoch: 0 });
    if ("baseOffset" in result) return { ok: true, lastOffset: result.lastOffset };
    return { ok: false, errorCode: result.errorCode, message: result.errorMessage };
  }

  async replay(visit: (record: TxnRecord) => void, options: { stopped: () => boolean }): Promise<void> {
    let skipped = 0;
    for await (const { partition, batch, from } of this.topic.readAll(options.stopped)) {
      if (batch.header.control) continue;
      for (const record of iterateRecords(batch.bytes, { maxBytes: this.topic.recordBytesMax })) {
        if (Number(record.offset) < from || record.key === null) continue;
        try {
          visit(decodeTxnRecord(record.key, record.value));
        } catch (error) {
          if (error instanceof UnknownTxnRecordVersion) {
            skipped++;
            continue;
          }
          throw new Error(`malformed record at ${transactionTopicName}-${partition} offset ${record.offset}`, {
            cause: error,
          });
        }
      }
    }
    if (skipped > 0)
      this.logger.log("warn", "skipped records of unknown versions", { topic: transactionTopicName, skipped });
  }
}
