// @samsa/streams: stream processing with Kafka Streams' semantics — the DSL (StreamsBuilder,
// KStream, KTable), the processor API, state stores, the topology model and its tasks, and the
// TopologyTestDriver. The runtime over a Kafka cluster and windowed aggregations build on these.

// Records, serdes, partitioning
export type { Headers, RecordMetadata, StreamRecord } from "./record.ts";
export { Serdes, SerializationError, type Serde, type SerdeContext } from "./serdes.ts";
export { murmur2, partitionForKey, toPositive } from "./murmur2.ts";
export { silentLogger, stderrJsonLogger, type LogLevel, type Logger } from "./logger.ts";

// Processor API and topology
export type {
  Cancellable,
  Processor,
  ProcessorContext,
  ProcessorSupplier,
  PunctuationType,
  TaskId,
} from "./processor.ts";
export { Topology } from "./topology/topology.ts";
export type { RecordContext, TimestampExtractor, TopicNameExtractor } from "./topology/internal-builder.ts";
export {
  TopologyDescription,
  type GlobalStoreDescription,
  type NodeDescription,
  type ProcessorDescription,
  type SinkDescription,
  type SourceDescription,
  type SubtopologyDescription,
} from "./topology/description.ts";
export { ProcessingError, TopologyError } from "./topology/errors.ts";
export type {
  DeserializationErrorAction,
  DeserializationErrorContext,
  DeserializationErrorHandler,
  PlanOptions,
} from "./topology/plan-options.ts";
export { resolvePartitions, type PartitionLayout } from "./topology/partitions.ts";
export type {
  ConsumedRecord,
  GlobalStorePlan,
  GlobalTask,
  InternalTopicSpec,
  OutgoingRecord,
  RawRecord,
  SubtopologyPlan,
  TaskEnvironment,
  TopologyPlan,
  TopologyTask,
} from "./runtime-contract.ts";

// State stores
export type {
  ChangelogRecord,
  ChangelogSink,
  KeyValue,
  KeyValueStore,
  ReadOnlyKeyValueStore,
  ReadOnlySessionStore,
  ReadOnlyWindowStore,
  SessionStore,
  StateStore,
  StoreBuilder,
  StoreContext,
  TimeWindow,
  WindowStore,
  Windowed,
} from "./state/store.ts";
export { Stores, type KeyValueStoreOptions, type StoreType } from "./state/stores.ts";
export { InMemoryKeyValueStore } from "./state/in-memory-kv-store.ts";
export { valueAndTimestampSerde, type ValueAndTimestamp } from "./state/window-key-schema.ts";

// DSL
export { StreamsBuilder, type StreamsBuilderOptions } from "./dsl/streams-builder.ts";
export { BranchedKStream, KStream, type BranchOptions } from "./dsl/kstream.ts";
export { GlobalKTable, KTable } from "./dsl/ktable.ts";
export { KGroupedStream } from "./dsl/kgrouped-stream.ts";
export { KGroupedTable } from "./dsl/kgrouped-table.ts";
export type { Consumed, Grouped, Materialized, Named, Produced, Repartitioned } from "./dsl/options.ts";
export type { ForeignKeyExtractor, TableJoined } from "./dsl/table-join-options.ts";
export { changeSerde, type Change } from "./processors/change.ts";
export { EmitStrategy, SessionWindows, SlidingWindows, TimeWindows } from "./dsl/windows.ts";
export { JoinWindows } from "./dsl/join-windows.ts";
export type { GlobalValueJoiner, Joined, StreamJoined, ValueJoiner } from "./dsl/join-options.ts";
export { SessionWindowedKStream, TimeWindowedKStream, type WindowedMaterialized } from "./dsl/windowed-streams.ts";
export { sessionWindowedSerde, timeWindowedSerde } from "./state/window-key-schema.ts";

// Testing
export {
  TestInputTopic,
  TestOutputTopic,
  TopologyTestDriver,
  type PipeOptions,
  type TestRecord,
  type TopologyTestDriverOptions,
} from "./test-driver.ts";

// Running on a cluster (KafkaStreams over @platformatic/kafka) and the embedded broker
export * from "./runtime/index.ts";

// Persistent stores (node:sqlite) and the state-directory lock
export { lockStateDirectory, StateDirectoryLockedError } from "./state/persistent-lock.ts";

// Interactive queries over HTTP (routing between instances by application server)
export {
  QueryHttpError,
  queryHopHeader,
  startQueryServer,
  type QueryServer,
  type QueryServerOptions,
  type QueryStoreOptions,
} from "./http/query-server.ts";
