// The runtime's public API, re-exported by the package's index.
export { KafkaStreams } from "./kafka-streams.ts";
export type { PlannableTopology } from "./kafka-streams.ts";
export { startEmbeddedBroker } from "./embedded.ts";
export type { EmbeddedBroker, EmbeddedBrokerOptions } from "./embedded.ts";
export { StreamsError } from "./errors.ts";
export type { StreamsErrorCode } from "./errors.ts";
export type {
  ClientOverrides,
  ConsumerOverrides,
  KafkaStreamsOptions,
  ProcessingGuarantee,
  ProducerOverrides,
  StreamsLogger,
  UncaughtErrorAction,
  UncaughtErrorHandler,
} from "./options.ts";
export type { StateListener, StreamsState } from "./state.ts";
export type { RestoreListener, RestoreProgress } from "./changelog-reader.ts";
export {
  InvalidStateStoreError,
  keyQueryMetadataNotAvailable,
  unavailableHost,
  type HostInfo,
  type InvalidStateStoreReason,
  type KeyPlacement,
  type KeyQueryMetadata,
  type QueryableStoreType,
  type StoreQueryParameters,
  type StreamsMetadata,
  type TaskMetadata,
  type ThreadMetadata,
  type TopicPartition,
} from "./queries.ts";
export type { QueryableStore, ReadOnlyWindowStoreView } from "./store-views.ts";
