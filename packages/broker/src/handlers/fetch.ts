// Fetch: reads stored batches for each partition (bytes straight from storage, referenced — not
// copied — into the response), honouring partition and total byte limits, and long-polls until
// min.bytes arrive or max.wait.ms passes, woken by produce. Fetch sessions: the broker answers
// with session id 0 ("no session"), which tells clients to keep sending full fetch requests.
// read_committed fetches stop at the last stable offset and carry the aborted transactions
// overlapping the returned batches, which clients use to drop aborted records.
import { ApiKey, ErrorCode, readBatchHeader } from "@samsa/protocol";
import type {
  FetchResponseAbortedTransaction,
  FetchResponseFetchableTopicResponse,
  FetchResponsePartitionData,
  Input,
} from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { quotaIdentity } from "../quotas/client-quotas.ts";
import type { BrokerState } from "../context.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import { topicById } from "../topics.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnTopic } from "../security/acl-authorizer.ts";

const leaderEpoch = 0;
const readCommitted = 1;

interface Wanted {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
  readonly currentLeaderEpoch: number;
  /** Set when the topic or partition is unknown. */
  readonly errorCode: number;
  readonly log: PartitionLog | undefined;
}

function epochError(currentLeaderEpoch: number): number {
  if (currentLeaderEpoch < 0 || currentLeaderEpoch === leaderEpoch) return 0;
  return currentLeaderEpoch > leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
}

/**
 * The aborted transactions a read_committed client needs to filter `records` read from
 * `fetchOffset`: those overlapping [fetchOffset, end of the last returned batch), as Kafka bounds
 * them by the data returned (none for an empty read).
 */
function abortedIn(log: PartitionLog, fetchOffset: number, records: Uint8Array): FetchResponseAbortedTransaction[] {
  // Whole batches, checked by the read: skip along their lengths to the last one (parsing every
  // header costs about 1 ms per MiB of one-record batches).
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let last = -1;
  for (let at = 0; at + 12 <= records.length;) {
    const size = 12 + view.getInt32(at + 8);
    if (size <= 12 || at + size > records.length) break;
    last = at;
    at += size;
  }
  if (last < 0) return [];
  const upTo = Number(readBatchHeader(records, last).lastOffset) + 1;
  if (upTo <= fetchOffset) return [];
  return log
    .abortedTransactions(fetchOffset, upTo)
    .map((t) => ({ producerId: t.producerId, firstOffset: BigInt(t.firstOffset) }));
}

/** One pass over the wanted partitions; returns the response parts and the bytes they carry. */
async function readAll(
  wanted: readonly Wanted[],
  options: { maxBytes: number; isolationLevel: number },
): Promise<{ partitions: Input<FetchResponsePartitionData>[]; bytes: number; errors: boolean }> {
  let bytes = 0;
  let errors = false;
  const partitions: Input<FetchResponsePartitionData>[] = [];
  for (const w of wanted) {
    const log = w.log;
    const base = { partitionIndex: w.partition, preferredReadReplica: -1 };
    const errorCode = w.errorCode !== 0 ? w.errorCode : epochError(w.currentLeaderEpoch);
    if (log === undefined || errorCode !== 0) {
      errors = true;
      partitions.push({
        ...base,
        errorCode,
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
        records: null,
      });
      continue;
    }
    const committed = options.isolationLevel === readCommitted;
    // Kafka's rule: the first partition with data gets at least one whole batch, whatever the limits.
    const budget = Math.max(0, Math.min(w.partitionMaxBytes, options.maxBytes - bytes));
    const read = await log.read({
      offset: w.fetchOffset,
      maxBytes: budget,
      minOneBatch: bytes === 0,
      maxOffset: committed ? log.lastStableOffset : log.highWatermark,
    });
    if (read.errorCode !== 0) errors = true;
    bytes += read.records.length;
    partitions.push({
      ...base,
      errorCode: read.errorCode,
      highWatermark: BigInt(read.highWatermark),
      lastStableOffset: BigInt(log.lastStableOffset),
      logStartOffset: BigInt(read.logStartOffset),
      abortedTransactions: committed ? abortedIn(log, w.fetchOffset, read.records) : null,
      currentLeader: { leaderId: -1, leaderEpoch: -1 },
      records: read.records,
    });
  }
  return { partitions, bytes, errors };
}

/** Resolves when any of the logs' high watermarks moves, after `timeoutMs`, or on shutdown. */
function waitForData(broker: BrokerState, logs: readonly PartitionLog[], timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribes: (() => void)[] = [];
    const done = (): void => {
      clearTimeout(timer);
      broker.closing.removeEventListener("abort", done);
      for (const u of unsubscribes) u();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    broker.closing.addEventListener("abort", done);
    for (const log of logs) unsubscribes.push(log.onHighWatermark(done));
  });
}

export const fetchHandler = defineHandler({
  apiKey: ApiKey.Fetch,
  versions: { min: 4, max: 17 },
  async handle(context, request) {
    const { broker, apiVersion } = context;
    const byId = apiVersion >= 13;
    if (request.sessionId !== 0) {
      // This broker never creates sessions, so no session id a client sends can be known.
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const wanted: Wanted[] = [];
    for (const t of request.topics) {
      const meta = byId ? topicById(broker, t.topicId) : broker.logs.topic(t.topic);
      // READ on the topic (security/acl-authorizer.ts), checked before it is known to exist by name.
      const denied = !(byId && meta === undefined) && !allowedOnTopic(context, Operation.READ, meta?.name ?? t.topic);
      const topicError = denied
        ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
        : meta === undefined
          ? byId
            ? ErrorCode.UNKNOWN_TOPIC_ID
            : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          : 0;
      for (const p of t.partitions) {
        const log = meta === undefined || denied ? undefined : broker.logs.log(meta.name, p.partition);
        wanted.push({
          topic: meta?.name ?? t.topic,
          topicId: meta?.topicId ?? t.topicId,
          partition: p.partition,
          fetchOffset: Number(p.fetchOffset),
          partitionMaxBytes: p.partitionMaxBytes,
          currentLeaderEpoch: p.currentLeaderEpoch,
          errorCode: topicError !== 0 ? topicError : log === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : 0,
          log,
        });
      }
    }
    // Under a consumer_byte_rate quota a response carries at most what the quota allows over the
    // sampled windows but one (quotas/client-quotas.ts).
    const quotaOn = broker.quotas.enabled("consumer_byte_rate");
    const who = quotaOn ? quotaIdentity(context) : undefined;
    const maxBytes =
      who === undefined
        ? request.maxBytes
        : Math.min(request.maxBytes, Math.floor(broker.quotas.maxBytesInWindow("consumer_byte_rate", who)));
    const options = { maxBytes, isolationLevel: request.isolationLevel };
    const deadline = Date.now() + Math.max(0, request.maxWaitMs);
    let result = await readAll(wanted, options);
    const logs = wanted.map((w) => w.log).filter((l): l is PartitionLog => l !== undefined);
    while (result.bytes < request.minBytes && !result.errors && !broker.closing.aborted) {
      const left = deadline - Date.now();
      if (left <= 0 || logs.length === 0) break;
      await waitForData(broker, logs, left);
      result = await readAll(wanted, options);
    }
    // Group the partitions back into their topics, in request order.
    const responses: Input<FetchResponseFetchableTopicResponse>[] = [];
    let i = 0;
    for (const t of request.topics) {
      const first = wanted[i];
      const parts = result.partitions.slice(i, i + t.partitions.length);
      i += t.partitions.length;
      responses.push({ topic: first?.topic ?? t.topic, topicId: first?.topicId ?? t.topicId, partitions: parts });
    }
    // Over the byte-rate or the request quota, as Kafka does: the bytes are taken back and the
    // answer is empty (the consumer fetches the same offsets again), with the throttle time; the
    // connection is muted that long after it is sent.
    const requestThrottleMs = broker.quotas.enabled("request_percentage")
      ? broker.quotas.requestThrottleMs(quotaIdentity(context))
      : 0;
    const bytesThrottleMs = who === undefined ? 0 : broker.quotas.record("consumer_byte_rate", who, result.bytes);
    const throttleTimeMs = Math.max(requestThrottleMs, bytesThrottleMs);
    if (throttleTimeMs > 0) {
      if (who !== undefined) broker.quotas.unrecord("consumer_byte_rate", who, result.bytes);
      context.throttle?.(throttleTimeMs);
      return { throttleTimeMs, errorCode: 0, sessionId: 0, responses: [] };
    }
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
  },
});
