// WriteTxnMarkers: writes end-transaction markers (commit or abort) to the partitions a
// transaction touched, each durable before the answer, through the same path as the transaction
// coordinator (txn-markers.ts). Kafka's own coordinator sends it between brokers; clients send it
// through Admin.abortTransaction (kafka-transactions.sh abort) to end a hanging transaction.
// Per-partition errors as Kafka's: UNKNOWN_TOPIC_OR_PARTITION, INVALID_PRODUCER_EPOCH,
// TRANSACTION_COORDINATOR_FENCED, KAFKA_STORAGE_ERROR; the group coordinator's "not ready" errors
// (for __consumer_offsets) become NOT_LEADER_OR_FOLLOWER, which the sender retries. Versions as
// Kafka 4 serves them from v1 (v0 was removed by KIP-896); its v2 is not in the protocol layer yet.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { Input, WriteTxnMarkersResponseWritableTxnMarkerResult } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { writeTxnMarker } from "../txn-markers.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnCluster } from "../security/acl-authorizer.ts";

type MarkerResult = Input<WriteTxnMarkersResponseWritableTxnMarkerResult>;

/** What Kafka answers instead of the group coordinator's errors: the transaction coordinator retries it. */
function answerFor(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.NOT_COORDINATOR:
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    default:
      return errorCode;
  }
}

export const writeTxnMarkersHandler = defineHandler({
  apiKey: ApiKey.WriteTxnMarkers,
  versions: { min: 1, max: 1 },
  async handle(context, request) {
    const { broker } = context;
    // Sent by transaction coordinators: CLUSTER_ACTION on the cluster (security/acl-authorizer.ts).
    if (!allowedOnCluster(context, Operation.CLUSTER_ACTION)) {
      return {
        markers: request.markers.map((m) => ({
          producerId: m.producerId,
          topics: m.topics.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({
              partitionIndex,
              errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
            })),
          })),
        })),
      };
    }
    // Results by producer id, then topic, then partition (Kafka answers one entry per producer id).
    const results = new Map<bigint, Map<string, Map<number, Promise<number>>>>();
    for (const marker of request.markers) {
      const byTopic = results.get(marker.producerId) ?? new Map<string, Map<number, Promise<number>>>();
      results.set(marker.producerId, byTopic);
      const written = new Set<string>();
      for (const topic of marker.topics) {
        const byPartition = byTopic.get(topic.name) ?? new Map<number, Promise<number>>();
        byTopic.set(topic.name, byPartition);
        for (const partition of topic.partitionIndexes) {
          // One marker per partition, even when the request names it twice.
          const key = `${partition}:${topic.name}`;
          if (written.has(key)) continue;
          written.add(key);
          // Started in request order, so markers for one partition get offsets in that order.
          const result =
            marker.producerId < 0n
              ? Promise.resolve(ErrorCode.INVALID_REQUEST) // a marker needs a producer
              : writeTxnMarker(broker, topic.name, partition, {
                  producerId: marker.producerId,
                  producerEpoch: marker.producerEpoch,
                  coordinatorEpoch: marker.coordinatorEpoch,
                  commit: marker.transactionResult,
                });
          byPartition.set(
            partition,
            result.then(answerFor, (error: unknown) => {
              broker.logger.log("error", "writing a transaction marker failed", {
                topic: topic.name,
                partition,
                error: error instanceof Error ? error.message : String(error),
              });
              return ErrorCode.UNKNOWN_SERVER_ERROR;
            }),
          );
        }
      }
    }
    const markers: MarkerResult[] = [];
    for (const [producerId, byTopic] of results) {
      const topics = [];
      for (const [name, byPartition] of byTopic) {
        const partitions = [];
        for (const [partitionIndex, result] of byPartition) {
          partitions.push({ partitionIndex, errorCode: await result });
        }
        topics.push({ name, partitions });
      }
      markers.push({ producerId, topics });
    }
    return { markers };
  },
});
