// Turns a consumed record into a StreamRecord at a source node: null bytes stay null, the rest goes
// through the source's serdes, and a record that cannot be read is handled by the deserialization
// error policy (fail, or log and skip). Then the event time, from the record or the source's
// timestamp extractor (Kafka's FailOnInvalidTimestamp by default: a negative timestamp fails).
import type { Logger } from "../logger.ts";
import type { StreamRecord } from "../record.ts";
import type { ConsumedRecord } from "../runtime-contract.ts";
import { ProcessingError } from "./errors.ts";
import type { SourceNode } from "./internal-builder.ts";
import type { DeserializationErrorHandler } from "./plan-options.ts";

export interface RecordReader {
  /** The record, or undefined when it is skipped (already logged). Throws when the policy says fail. */
  read(
    source: SourceNode,
    raw: ConsumedRecord,
    partitionTimeMs: number,
    where: string,
  ): StreamRecord<unknown, unknown> | undefined;
}

export function createRecordReader(handler: DeserializationErrorHandler, logger: Logger): RecordReader {
  const onError = (raw: ConsumedRecord, error: unknown, where: string): undefined => {
    const fields = { where, topic: raw.topic, partition: raw.partition, offset: raw.offset, error: String(error) };
    const action =
      typeof handler === "function"
        ? handler({ record: raw, error })
        : handler === "log-and-continue"
          ? "continue"
          : "fail";
    if (action === "continue") {
      logger.log("warn", "Skipping record due to deserialization error", fields);
      return undefined;
    }
    logger.log("error", "Deserialization error; failing as the deserialization error handler says", fields);
    throw new ProcessingError(
      `${where}: cannot deserialize the record at ${raw.topic}-${raw.partition} offset ${raw.offset}` +
        ` (the deserialization error handler fails on errors; "log-and-continue" skips such records): ${String(error)}`,
      { cause: error },
    );
  };
  return {
    read(source, raw, partitionTimeMs, where) {
      let key: unknown;
      let value: unknown;
      try {
        // A ConsumedRecord has the topic and headers a SerdeContext needs: no allocation per record.
        key = raw.key === null ? null : source.keySerde.deserialize(raw.key, raw);
        value = raw.value === null ? null : source.valueSerde.deserialize(raw.value, raw);
      } catch (error) {
        return onError(raw, error, where);
      }
      let timestampMs = raw.timestampMs;
      if (source.timestampExtractor !== undefined) {
        timestampMs = source.timestampExtractor(raw, partitionTimeMs);
        if (!(timestampMs >= 0)) {
          logger.log("warn", "Skipping record due to negative extracted timestamp", {
            where,
            topic: raw.topic,
            partition: raw.partition,
            offset: raw.offset,
            extractedTimestampMs: timestampMs,
          });
          return undefined;
        }
      } else if (!(timestampMs >= 0)) {
        throw new ProcessingError(
          `${where}: the record at ${raw.topic}-${raw.partition} offset ${raw.offset} has an invalid (negative)` +
            ` timestamp ${timestampMs}; give the source a timestampExtractor to use another time or skip such records`,
        );
      }
      return { key, value, timestampMs, headers: raw.headers };
    },
  };
}
