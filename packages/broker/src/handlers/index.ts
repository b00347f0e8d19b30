// The handler registry: one handler per Kafka API (one file each in this folder). It decides
// what the broker serves and so drives ApiVersions.
import { apiSpecs } from "@samsa/protocol";
import type { ApiKey, Reader, RequestByKey } from "@samsa/protocol";
import type { Handler, RequestContext } from "../context.ts";
import { noResponse } from "../context.ts";
import { alterConfigsHandler } from "./alter-configs.ts";
import { apiVersionsHandler } from "./api-versions.ts";
import { createPartitionsHandler } from "./create-partitions.ts";
import { createTopicsHandler } from "./create-topics.ts";
import { deleteRecordsHandler } from "./delete-records.ts";
import { deleteTopicsHandler } from "./delete-topics.ts";
import { describeClusterHandler } from "./describe-cluster.ts";
import { describeConfigsHandler } from "./describe-configs.ts";
import { describeLogDirsHandler } from "./describe-log-dirs.ts";
import { describeTopicPartitionsHandler } from "./describe-topic-partitions.ts";
import { fetchHandler } from "./fetch.ts";
import { incrementalAlterConfigsHandler } from "./incremental-alter-configs.ts";
import { initProducerIdHandler } from "./init-producer-id.ts";
import { listOffsetsHandler } from "./list-offsets.ts";
import { metadataHandler } from "./metadata.ts";
import { offsetForLeaderEpochHandler } from "./offset-for-leader-epoch.ts";
import { produceHandler } from "./produce.ts";
// The group coordinator's APIs (coordinator/).
import { consumerGroupDescribeHandler } from "./consumer-group-describe.ts";
import { consumerGroupHeartbeatHandler } from "./consumer-group-heartbeat.ts";
import { deleteGroupsHandler } from "./delete-groups.ts";
import { describeGroupsHandler } from "./describe-groups.ts";
import { findCoordinatorHandler } from "./find-coordinator.ts";
import { heartbeatHandler } from "./heartbeat.ts";
import { joinGroupHandler } from "./join-group.ts";
import { leaveGroupHandler } from "./leave-group.ts";
import { listGroupsHandler } from "./list-groups.ts";
import { offsetCommitHandler } from "./offset-commit.ts";
import { offsetDeleteHandler } from "./offset-delete.ts";
import { offsetFetchHandler } from "./offset-fetch.ts";
import { syncGroupHandler } from "./sync-group.ts";
// The transaction coordinator's APIs (coordinator/transaction-coordinator.ts).
import { addOffsetsToTxnHandler } from "./add-offsets-to-txn.ts";
import { addPartitionsToTxnHandler } from "./add-partitions-to-txn.ts";
import { describeProducersHandler } from "./describe-producers.ts";
import { describeTransactionsHandler } from "./describe-transactions.ts";
import { endTxnHandler } from "./end-txn.ts";
import { listTransactionsHandler } from "./list-transactions.ts";
import { txnOffsetCommitHandler } from "./txn-offset-commit.ts";
import { writeTxnMarkersHandler } from "./write-txn-markers.ts";
// Authentication (security/).
import { alterUserScramCredentialsHandler } from "./alter-user-scram-credentials.ts";
import { alterClientQuotasHandler } from "./alter-client-quotas.ts";
import { describeClientQuotasHandler } from "./describe-client-quotas.ts";
// Authorization (security/acl*.ts).
import { createAclsHandler } from "./create-acls.ts";
import { deleteAclsHandler } from "./delete-acls.ts";
import { describeAclsHandler } from "./describe-acls.ts";
import { describeUserScramCredentialsHandler } from "./describe-user-scram-credentials.ts";
import { saslAuthenticateHandler } from "./sasl-authenticate.ts";
import { saslHandshakeHandler } from "./sasl-handshake.ts";

/** A handler with its request decoder, types erased for dispatch by API key. */
export interface RegisteredApi {
  readonly apiKey: ApiKey;
  readonly versions: { readonly min: number; readonly max: number };
  decode(reader: Reader, version: number): unknown;
  run(context: RequestContext, body: unknown): Promise<unknown>;
}

function register<K extends ApiKey>(handler: Handler<K>): RegisteredApi {
  const spec = apiSpecs[handler.apiKey];
  if (handler.versions.min < spec.versions.min || handler.versions.max > spec.versions.max) {
    throw new Error(`handler for ${spec.name} serves versions the protocol layer lacks`);
  }
  return {
    apiKey: handler.apiKey,
    versions: handler.versions,
    decode: (reader, version) => spec.decodeRequest(reader, version),
    run: (context, body) => handler.handle(context, body as RequestByKey[K]),
  };
}

const registry = new Map<number, RegisteredApi>(
  [
    register(apiVersionsHandler),
    register(metadataHandler),
    register(produceHandler),
    register(findCoordinatorHandler),
    register(joinGroupHandler),
    register(syncGroupHandler),
    register(heartbeatHandler),
    register(leaveGroupHandler),
    register(offsetCommitHandler),
    register(offsetFetchHandler),
    register(offsetDeleteHandler),
    register(describeGroupsHandler),
    register(listGroupsHandler),
    register(deleteGroupsHandler),
    register(consumerGroupHeartbeatHandler),
    register(consumerGroupDescribeHandler),
    register(fetchHandler),
    register(listOffsetsHandler),
    register(initProducerIdHandler),
    register(addPartitionsToTxnHandler),
    register(addOffsetsToTxnHandler),
    register(endTxnHandler),
    register(txnOffsetCommitHandler),
    register(writeTxnMarkersHandler),
    register(describeProducersHandler),
    register(describeTransactionsHandler),
    register(listTransactionsHandler),
    register(createTopicsHandler),
    register(deleteTopicsHandler),
    register(deleteRecordsHandler),
    register(offsetForLeaderEpochHandler),
    register(describeConfigsHandler),
    register(alterConfigsHandler),
    register(describeLogDirsHandler),
    register(createPartitionsHandler),
    register(incrementalAlterConfigsHandler),
    register(describeClusterHandler),
    register(describeTopicPartitionsHandler),
    register(saslHandshakeHandler),
    register(saslAuthenticateHandler),
    register(describeUserScramCredentialsHandler),
    register(alterUserScramCredentialsHandler),
    register(describeAclsHandler),
    register(createAclsHandler),
    register(deleteAclsHandler),
    register(describeClientQuotasHandler),
    register(alterClientQuotasHandler),
  ].map((h) => [h.apiKey, h]),
);

export function handlerFor(apiKey: number): RegisteredApi | undefined {
  return registry.get(apiKey);
}

/** What ApiVersions advertises: exactly the APIs and versions with a handler. */
export function advertisedApis(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return [...registry.values()]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.versions.min, maxVersion: h.versions.max }));
}

export function supportedVersions(apiKey: number): { apiKey: number; minVersion: number; maxVersion: number } {
  const h = registry.get(apiKey);
  return { apiKey, minVersion: h?.versions.min ?? 0, maxVersion: h?.versions.max ?? -1 };
}

export { noResponse };
