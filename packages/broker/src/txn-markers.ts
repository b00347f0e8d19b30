// Writing one end-transaction marker to one partition: the single path the transaction
// coordinator (EndTxn, timeouts, recovery) and WriteTxnMarkers share. Markers for
// __consumer_offsets partitions go through the group coordinator, which also makes the
// transaction's pending offset commits visible (commit) or drops them (abort).
import { ErrorCode } from "@samsa/protocol";
import type { BrokerState } from "./context.ts";
import { offsetsTopicName } from "./coordinator/group-store.ts";

export interface TxnMarker {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  /** true: commit, false: abort. */
  readonly commit: boolean;
}

/** Appends `marker` to topic-partition durably; resolves with an error code (0 on success). */
export async function writeTxnMarker(
  broker: Pick<BrokerState, "logs" | "groupCoordinator" | "clock">,
  topic: string,
  partition: number,
  marker: TxnMarker,
): Promise<number> {
  if (topic === offsetsTopicName) return broker.groupCoordinator.writeTxnMarker(partition, marker);
  const log = broker.logs.log(topic, partition);
  if (log === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  const result = await log.appendMarker({ ...marker, timestampMs: broker.clock.nowMs() });
  return result.errorCode;
}
