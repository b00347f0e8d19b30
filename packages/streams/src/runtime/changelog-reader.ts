// Restores logged stores from their changelog partitions (Kafka Streams' StoreChangelogReader):
// from the offset after a persistent store's checkpoint, or from the log start, up to the end
// offset read when restoration begins, in fetch-sized batches through store.restore(), reporting
// progress as it goes.
import type { StateStore } from "../state/store.ts";
import type { ChangelogRecord } from "../state/store.ts";
import type { Fetcher, FetchPosition } from "./fetcher.ts";
import { partitionKey } from "./fetcher.ts";

export interface RestoreProgress {
  readonly storeName: string;
  readonly topic: string;
  readonly partition: number;
  /** First offset read, and the end offset (exclusive) restoration reads up to. */
  readonly startOffset: number;
  readonly endOffset: number;
  readonly restoredRecords: number;
  /** Offsets to read (an upper bound of the records: compaction leaves gaps). */
  readonly totalRecords: number;
  readonly done: boolean;
}

export type RestoreListener = (progress: RestoreProgress) => void;

export interface StoreToRestore {
  readonly store: StateStore;
  readonly topic: string;
  readonly partition: number;
}

interface Restoring extends StoreToRestore {
  position: number;
  readonly startOffset: number;
  readonly endOffset: number;
  restored: number;
}

/**
 * Restores the stores; resolves with the last changelog offset each partition held when
 * restoration began (-1 when empty) — what the stores reflect, and what their next checkpoint
 * is based on until new changelog writes are acknowledged. Stops early when `shouldStop()` says so.
 */
export async function restoreStores(options: {
  readonly fetcher: Fetcher;
  readonly stores: readonly StoreToRestore[];
  readonly onProgress: RestoreListener;
  readonly shouldStop: () => boolean;
}): Promise<Map<string, number>> {
  const { fetcher, stores, onProgress } = options;
  const lastOffsets = new Map<string, number>();
  if (stores.length === 0) return lastOffsets;
  const partitions = stores.map(({ topic, partition }) => ({ topic, partition }));
  const [endOffsets, startOffsets] = await Promise.all([
    fetcher.listOffsets(partitions, "latest"),
    fetcher.listOffsets(partitions, "earliest"),
  ]);
  const active: Restoring[] = [];
  for (const entry of stores) {
    const key = partitionKey(entry.topic, entry.partition);
    const endOffset = endOffsets.get(key) ?? 0;
    const logStart = startOffsets.get(key) ?? 0;
    const checkpoint = entry.store.restoredOffset();
    // A checkpoint past the end means the changelog was recreated: read it all again.
    const startOffset =
      checkpoint !== undefined && checkpoint < endOffset ? Math.max(checkpoint + 1, logStart) : logStart;
    lastOffsets.set(key, endOffset - 1);
    const restoring: Restoring = { ...entry, position: startOffset, startOffset, endOffset, restored: 0 };
    if (startOffset >= endOffset) report(onProgress, restoring);
    else active.push(restoring);
  }
  for (const restoring of active) report(onProgress, restoring);
  while (active.length > 0 && !options.shouldStop()) {
    const positions: FetchPosition[] = active.map(({ topic, partition, position }) => ({
      topic,
      partition,
      offset: position,
    }));
    const fetched = await fetcher.fetch(positions);
    if (options.shouldStop()) break;
    for (const result of fetched) {
      const index = active.findIndex((entry) => entry.topic === result.topic && entry.partition === result.partition);
      const restoring = active[index];
      if (restoring === undefined) continue;
      if (result.outOfRange) {
        restoring.position = result.logStartOffset;
        continue;
      }
      const batch: ChangelogRecord[] = [];
      for (const record of result.records) {
        if (record.offset >= restoring.endOffset) break;
        // A changelog record always has a key; anything else is not ours to apply.
        if (record.key === null) continue;
        batch.push({ key: record.key, value: record.value, timestampMs: record.timestampMs });
      }
      if (batch.length > 0) restoring.store.restore(batch);
      restoring.restored += batch.length;
      restoring.position = result.nextOffset;
      const finished = restoring.position >= Math.min(restoring.endOffset, result.highWatermark);
      if (finished) active.splice(index, 1);
      report(onProgress, restoring, finished);
    }
  }
  return lastOffsets;
}

function report(
  listener: RestoreListener,
  restoring: Restoring,
  done = restoring.position >= restoring.endOffset,
): void {
  listener({
    storeName: restoring.store.name,
    topic: restoring.topic,
    partition: restoring.partition,
    startOffset: restoring.startOffset,
    endOffset: restoring.endOffset,
    restoredRecords: restoring.restored,
    totalRecords: Math.max(0, restoring.endOffset - restoring.startOffset),
    done,
  });
}
