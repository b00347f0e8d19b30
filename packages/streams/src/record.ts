// The record that flows through a topology: key, value, timestamp and headers, as Kafka Streams'
// Record. Plain immutable objects: derive new ones with spread (`{ ...record, value }`).

/** Kafka record headers, in order; a key may repeat. Values are raw bytes (null allowed). */
export type Headers = readonly (readonly [key: string, value: Uint8Array | null])[];

/** No headers: one shared (frozen) array, so records without headers allocate none. */
export const noHeaders: Headers = Object.freeze([]);

export interface StreamRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Event time, ms since the epoch (the record's timestamp, or what a timestamp extractor chose). */
  readonly timestampMs: number;
  readonly headers: Headers;
}

/** Where the record being processed came from; undefined for records a punctuator created. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}
