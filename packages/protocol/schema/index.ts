// Derived from Kafka's message descriptors (index of the APIs with the broker listener) by scripts/import-descriptors.ts. Do not edit.
import type { ApiDefinition, MessageDefinition } from "./types.ts";
import { requestHeader } from "./apis/request-header.ts";
import { responseHeader } from "./apis/response-header.ts";
import { consumerProtocolSubscription } from "./apis/consumer-protocol-subscription.ts";
import { consumerProtocolAssignment } from "./apis/consumer-protocol-assignment.ts";
import { produce } from "./apis/produce.ts";
import { fetch } from "./apis/fetch.ts";
import { listOffsets } from "./apis/list-offsets.ts";
import { metadata } from "./apis/metadata.ts";
import { offsetCommit } from "./apis/offset-commit.ts";
import { offsetFetch } from "./apis/offset-fetch.ts";
import { findCoordinator } from "./apis/find-coordinator.ts";
import { joinGroup } from "./apis/join-group.ts";
import { heartbeat } from "./apis/heartbeat.ts";
import { leaveGroup } from "./apis/leave-group.ts";
import { syncGroup } from "./apis/sync-group.ts";
import { describeGroups } from "./apis/describe-groups.ts";
import { listGroups } from "./apis/list-groups.ts";
import { saslHandshake } from "./apis/sasl-handshake.ts";
import { apiVersions } from "./apis/api-versions.ts";
import { createTopics } from "./apis/create-topics.ts";
import { deleteTopics } from "./apis/delete-topics.ts";
import { deleteRecords } from "./apis/delete-records.ts";
import { initProducerId } from "./apis/init-producer-id.ts";
import { offsetForLeaderEpoch } from "./apis/offset-for-leader-epoch.ts";
import { addPartitionsToTxn } from "./apis/add-partitions-to-txn.ts";
import { addOffsetsToTxn } from "./apis/add-offsets-to-txn.ts";
import { endTxn } from "./apis/end-txn.ts";
import { writeTxnMarkers } from "./apis/write-txn-markers.ts";
import { txnOffsetCommit } from "./apis/txn-offset-commit.ts";
import { describeAcls } from "./apis/describe-acls.ts";
import { createAcls } from "./apis/create-acls.ts";
import { deleteAcls } from "./apis/delete-acls.ts";
import { describeConfigs } from "./apis/describe-configs.ts";
import { alterConfigs } from "./apis/alter-configs.ts";
import { alterReplicaLogDirs } from "./apis/alter-replica-log-dirs.ts";
import { describeLogDirs } from "./apis/describe-log-dirs.ts";
import { saslAuthenticate } from "./apis/sasl-authenticate.ts";
import { createPartitions } from "./apis/create-partitions.ts";
import { createDelegationToken } from "./apis/create-delegation-token.ts";
import { renewDelegationToken } from "./apis/renew-delegation-token.ts";
import { expireDelegationToken } from "./apis/expire-delegation-token.ts";
import { describeDelegationToken } from "./apis/describe-delegation-token.ts";
import { deleteGroups } from "./apis/delete-groups.ts";
import { electLeaders } from "./apis/elect-leaders.ts";
import { incrementalAlterConfigs } from "./apis/incremental-alter-configs.ts";
import { alterPartitionReassignments } from "./apis/alter-partition-reassignments.ts";
import { listPartitionReassignments } from "./apis/list-partition-reassignments.ts";
import { offsetDelete } from "./apis/offset-delete.ts";
import { describeClientQuotas } from "./apis/describe-client-quotas.ts";
import { alterClientQuotas } from "./apis/alter-client-quotas.ts";
import { describeUserScramCredentials } from "./apis/describe-user-scram-credentials.ts";
import { alterUserScramCredentials } from "./apis/alter-user-scram-credentials.ts";
import { describeQuorum } from "./apis/describe-quorum.ts";
import { updateFeatures } from "./apis/update-features.ts";
import { describeCluster } from "./apis/describe-cluster.ts";
import { describeProducers } from "./apis/describe-producers.ts";
import { unregisterBroker } from "./apis/unregister-broker.ts";
import { describeTransactions } from "./apis/describe-transactions.ts";
import { listTransactions } from "./apis/list-transactions.ts";
import { consumerGroupHeartbeat } from "./apis/consumer-group-heartbeat.ts";
import { consumerGroupDescribe } from "./apis/consumer-group-describe.ts";
import { getTelemetrySubscriptions } from "./apis/get-telemetry-subscriptions.ts";
import { pushTelemetry } from "./apis/push-telemetry.ts";
import { listClientMetricsResources } from "./apis/list-client-metrics-resources.ts";
import { describeTopicPartitions } from "./apis/describe-topic-partitions.ts";
import { shareGroupHeartbeat } from "./apis/share-group-heartbeat.ts";
import { shareGroupDescribe } from "./apis/share-group-describe.ts";
import { shareFetch } from "./apis/share-fetch.ts";
import { shareAcknowledge } from "./apis/share-acknowledge.ts";
import { addRaftVoter } from "./apis/add-raft-voter.ts";
import { removeRaftVoter } from "./apis/remove-raft-voter.ts";
import { initializeShareGroupState } from "./apis/initialize-share-group-state.ts";
import { readShareGroupState } from "./apis/read-share-group-state.ts";
import { writeShareGroupState } from "./apis/write-share-group-state.ts";
import { deleteShareGroupState } from "./apis/delete-share-group-state.ts";
import { readShareGroupStateSummary } from "./apis/read-share-group-state-summary.ts";

/** Every API a client may send to a broker, by API key. */
export const apiDefinitions: readonly ApiDefinition[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  saslHandshake,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  initProducerId,
  offsetForLeaderEpoch,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  writeTxnMarkers,
  txnOffsetCommit,
  describeAcls,
  createAcls,
  deleteAcls,
  describeConfigs,
  alterConfigs,
  alterReplicaLogDirs,
  describeLogDirs,
  saslAuthenticate,
  createPartitions,
  createDelegationToken,
  renewDelegationToken,
  expireDelegationToken,
  describeDelegationToken,
  deleteGroups,
  electLeaders,
  incrementalAlterConfigs,
  alterPartitionReassignments,
  listPartitionReassignments,
  offsetDelete,
  describeClientQuotas,
  alterClientQuotas,
  describeUserScramCredentials,
  alterUserScramCredentials,
  describeQuorum,
  updateFeatures,
  describeCluster,
  describeProducers,
  unregisterBroker,
  describeTransactions,
  listTransactions,
  consumerGroupHeartbeat,
  consumerGroupDescribe,
  getTelemetrySubscriptions,
  pushTelemetry,
  listClientMetricsResources,
  describeTopicPartitions,
  shareGroupHeartbeat,
  shareGroupDescribe,
  shareFetch,
  shareAcknowledge,
  addRaftVoter,
  removeRaftVoter,
  initializeShareGroupState,
  readShareGroupState,
  writeShareGroupState,
  deleteShareGroupState,
  readShareGroupStateSummary,
];

/** Messages outside any API that get codecs too: headers and the consumer protocol's data. */
export const standaloneDefinitions: readonly MessageDefinition[] = [
  requestHeader,
  responseHeader,
  consumerProtocolSubscription,
  consumerProtocolAssignment,
];
