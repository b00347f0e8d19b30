// The processor API (Kafka Streams' org.apache.kafka.streams.processor.api): typed processors with
// access to state stores, forwarding to children with timestamps and headers, and punctuators on
// stream time or wall-clock time. The DSL is built from these processors too.
import type { RecordMetadata, StreamRecord } from "./record.ts";
import type { StateStore } from "./state/store.ts";

/** Stream time: the largest timestamp a task has seen. Wall-clock time: the runtime's clock. */
export type PunctuationType = "stream-time" | "wall-clock-time";

export interface Cancellable {
  cancel(): void;
}

export interface TaskId {
  readonly subtopology: number;
  readonly partition: number;
}

export interface ProcessorContext<KOut, VOut> {
  readonly applicationId: string;
  readonly taskId: TaskId;
  /** The input record being processed; undefined inside a punctuator. */
  readonly recordMetadata: RecordMetadata | undefined;
  /** The task's stream time (-1 before the first record). */
  currentStreamTimeMs(): number;
  currentSystemTimeMs(): number;
  /** The application's configs (Kafka's ProcessorContext.appConfigs), as the runner was given them. */
  appConfigs(): Readonly<Record<string, string>>;
  /** Sends a record to all children, or only to the named one. Runs them synchronously. */
  forward(record: StreamRecord<KOut, VOut>, childName?: string): void;
  /** A store connected to this processor (by name); throws if it is not connected. */
  getStateStore<S extends StateStore>(name: string): S;
  /** Calls `punctuator` every `intervalMs` of stream or wall-clock time. */
  schedule(intervalMs: number, type: PunctuationType, punctuator: (timestampMs: number) => void): Cancellable;
  /** Asks the runtime to commit as soon as possible (after this record). */
  commit(): void;
}

export interface Processor<KIn, VIn, KOut = never, VOut = never> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  /** Called once per record, synchronously; must not keep the record's byte arrays beyond the call. */
  process(record: StreamRecord<KIn, VIn>): void;
  close?(): void;
}

/** Creates a fresh processor for each task. */
export type ProcessorSupplier<KIn, VIn, KOut = never, VOut = never> = () => Processor<KIn, VIn, KOut, VOut>;
