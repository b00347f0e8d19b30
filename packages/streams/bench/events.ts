// The benchmark's input: keyed JSON click events from a seeded generator (the same bytes every
// run), and a fast loader that writes them to a topic with the protocol package's batch encoder
// over one connection (Kafka's partitioner for keys, several produce requests in flight).
import { ApiKey, encodeRecordBatch } from "@samsa/protocol";
import type { RecordInput } from "@samsa/protocol";
import { WireClient, seededRandom as prng } from "@samsa/testkit";
import { partitionForKey } from "../src/index.ts";

export interface EventsOptions {
  readonly records: number;
  /** Distinct keys (users). */
  readonly keys: number;
  /** Event time of the first record; the others follow evenly over `spanMs`, never going back. */
  readonly firstTimestampMs: number;
  readonly spanMs: number;
  readonly seed: number;
}

export interface Event {
  readonly key: string;
  readonly value: string;
  readonly timestampMs: number;
}

const actions = ["click", "view", "scroll", "buy"] as const;
const tiers = ["gold", "silver", "bronze"] as const;
const countries = ["de", "fr", "us", "jp", "br", "in"] as const;

function userId(index: number, keys: number): string {
  return `user-${String(index).padStart(String(Math.max(0, keys - 1)).length, "0")}`;
}

/**
 * The table side of the join benchmark: one profile per user of `events` (about 60 B values, e.g.
 * {"user":"user-00042","tier":"gold","country":"fr"}), all at `timestampMs` (before every event).
 */
export function* profiles(options: { readonly keys: number; readonly timestampMs: number }): Generator<Event> {
  for (let i = 0; i < options.keys; i++) {
    const user = userId(i, options.keys);
    const value = JSON.stringify({ user, tier: tiers[i % tiers.length], country: countries[i % countries.length] });
    yield { key: user, value, timestampMs: options.timestampMs };
  }
}

/** About 100 B values, e.g. {"user":"user-00042","page":"/products/173","action":"click","amount":12,"ts":…}. */
export function* events(options: EventsOptions): Generator<Event> {
  const random = prng(options.seed);
  for (let i = 0; i < options.records; i++) {
    const user = userId(Math.floor(random() * options.keys), options.keys);
    const timestampMs = options.firstTimestampMs + Math.floor((i * options.spanMs) / options.records);
    const action = actions[Math.floor(random() * actions.length)] ?? "view";
    const value = JSON.stringify({
      user,
      page: `/products/${Math.floor(random() * 1000)}`,
      action,
      amount: Math.floor(random() * 100),
      ts: timestampMs,
    });
    yield { key: user, value, timestampMs };
  }
}

export interface LoadResult {
  readonly records: number;
  readonly bytes: number;
  readonly ms: number;
}

/**
 * Writes `source` to `topic` (which must exist with `partitions` partitions, led by the broker at
 * `bootstrap`: a single-node cluster) with acks=1, `batchRecords` records per partition and request.
 */
export async function loadEvents(options: {
  readonly bootstrap: string;
  readonly topic: string;
  readonly partitions: number;
  readonly source: Iterable<Event>;
  readonly batchRecords?: number;
  readonly inFlightMax?: number;
}): Promise<LoadResult> {
  const batchRecords = options.batchRecords ?? 2000;
  const inFlightMax = options.inFlightMax ?? 4;
  const started = performance.now();
  const client = await WireClient.connect(options.bootstrap, { clientId: "samsa-streams-bench-loader" });
  const encoder = new TextEncoder();
  const pending: RecordInput[][] = Array.from({ length: options.partitions }, () => []);
  const inFlight = new Set<Promise<void>>();
  let records = 0;
  let bytes = 0;

  const send = (partition: number, batch: RecordInput[]): Promise<void> => {
    const encoded = encodeRecordBatch({ records: batch });
    bytes += encoded.byteLength;
    return client
      .send(
        ApiKey.Produce,
        9,
        {
          transactionalId: null,
          acks: 1,
          timeoutMs: 30_000,
          topicData: [{ name: options.topic, partitionData: [{ index: partition, records: encoded }] }],
        },
        { timeoutMs: 60_000 },
      )
      .then((response) => {
        const code = response.responses[0]?.partitionResponses[0]?.errorCode;
        if (code !== 0) throw new Error(`produce to ${options.topic}-${partition} failed with error code ${code}`);
      });
  };
  const flush = async (partition: number): Promise<void> => {
    const batch = pending[partition];
    if (batch === undefined || batch.length === 0) return;
    pending[partition] = [];
    while (inFlight.size >= inFlightMax) await Promise.race(inFlight);
    const request = send(partition, batch).finally(() => inFlight.delete(request));
    inFlight.add(request);
  };

  try {
    for (const event of options.source) {
      const key = encoder.encode(event.key);
      const partition = partitionForKey(key, options.partitions);
      const batch = pending[partition];
      if (batch === undefined) throw new Error(`partition ${partition} out of range`);
      batch.push({ key, value: encoder.encode(event.value), timestamp: BigInt(event.timestampMs) });
      records++;
      if (batch.length >= batchRecords) await flush(partition);
    }
    for (let partition = 0; partition < options.partitions; partition++) await flush(partition);
    await Promise.all(inFlight);
  } finally {
    client.close();
  }
  return { records, bytes, ms: performance.now() - started };
}
