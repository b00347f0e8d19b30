// Transactional offset commits (TxnOffsetCommit) not yet committed or aborted: kept per
// transaction — a producer id on one __consumer_offsets partition, as Kafka's per-partition
// OffsetMetadataManager keeps them — until that partition's end-transaction marker arrives.
// They are invisible to OffsetFetch; with requireStable their partitions answer UNSTABLE_OFFSET_COMMIT.
import type { CommittedOffset } from "./classic-group.ts";

/** One pending offset, as a marker hands it over. */
export interface PendingOffset {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: CommittedOffset;
}

/** Group id → topic → partition → offset. */
type OffsetsByGroup = Map<string, Map<string, Map<number, CommittedOffset>>>;

interface OpenTxn {
  /** The __consumer_offsets partition the transaction's offset commits were written to. */
  readonly partition: number;
  readonly producerId: bigint;
  readonly offsets: OffsetsByGroup;
}

export class PendingTxnOffsets {
  /** __consumer_offsets partition → producer id → its open transaction. */
  private readonly txns = new Map<number, Map<bigint, OpenTxn>>();
  /** Group id → the open transactions holding offsets of it. */
  private readonly byGroup = new Map<string, Set<OpenTxn>>();

  /** Records a durable transactional offset commit; a later one for the same partition replaces it. */
  add(txn: { partition: number; producerId: bigint }, pending: PendingOffset): void {
    let byProducer = this.txns.get(txn.partition);
    if (byProducer === undefined) {
      byProducer = new Map<bigint, OpenTxn>();
      this.txns.set(txn.partition, byProducer);
    }
    let open = byProducer.get(txn.producerId);
    if (open === undefined) {
      open = { partition: txn.partition, producerId: txn.producerId, offsets: new Map() };
      byProducer.set(txn.producerId, open);
    }
    let byTopic = open.offsets.get(pending.groupId);
    if (byTopic === undefined) {
      byTopic = new Map<string, Map<number, CommittedOffset>>();
      open.offsets.set(pending.groupId, byTopic);
    }
    let byPartition = byTopic.get(pending.topic);
    if (byPartition === undefined) {
      byPartition = new Map<number, CommittedOffset>();
      byTopic.set(pending.topic, byPartition);
    }
    const existing = byPartition.get(pending.partition);
    if (existing !== undefined && existing.recordOffset > pending.offset.recordOffset) return;
    byPartition.set(pending.partition, pending.offset);
    let groupTxns = this.byGroup.get(pending.groupId);
    if (groupTxns === undefined) {
      groupTxns = new Set<OpenTxn>();
      this.byGroup.set(pending.groupId, groupTxns);
    }
    groupTxns.add(open);
  }

  /**
   * Ends `producerId`'s transaction on `partition` (its marker sits at `markerOffset`): removes
   * and returns its offsets written before the marker. Later ones (a next transaction) stay.
   */
  take(partition: number, producerId: bigint, markerOffset: number): PendingOffset[] {
    const open = this.txns.get(partition)?.get(producerId);
    if (open === undefined) return [];
    const taken: PendingOffset[] = [];
    const groupIds = [...open.offsets.keys()];
    for (const [groupId, byTopic] of open.offsets) {
      for (const [topic, byPartition] of byTopic) {
        for (const [p, offset] of byPartition) {
          if (offset.recordOffset >= markerOffset) continue;
          taken.push({ groupId, topic, partition: p, offset });
          byPartition.delete(p);
        }
      }
    }
    this.prune(open, groupIds);
    return taken;
  }

  /** An offset tombstone at `recordOffset`: the group's pending offsets for that partition written before it go. */
  discard(groupId: string, topic: string, partition: number, recordOffset: number): void {
    for (const open of [...(this.byGroup.get(groupId) ?? [])]) {
      const byPartition = open.offsets.get(groupId)?.get(topic);
      const pending = byPartition?.get(partition);
      if (byPartition === undefined || pending === undefined || pending.recordOffset >= recordOffset) continue;
      byPartition.delete(partition);
      this.prune(open, [groupId]);
    }
  }

  /** The topic-partitions the group has pending offsets for (each once). */
  partitionsOf(groupId: string): { topic: string; partition: number }[] {
    const seen = new Map<string, Set<number>>();
    for (const open of this.byGroup.get(groupId) ?? []) {
      for (const [topic, byPartition] of open.offsets.get(groupId) ?? []) {
        let partitions = seen.get(topic);
        if (partitions === undefined) {
          partitions = new Set<number>();
          seen.set(topic, partitions);
        }
        for (const p of byPartition.keys()) partitions.add(p);
      }
    }
    return [...seen].flatMap(([topic, partitions]) => [...partitions].map((partition) => ({ topic, partition })));
  }

  /** Whether an open transaction holds an offset for the group's topic-partition. */
  has(groupId: string, topic: string, partition: number): boolean {
    for (const open of this.byGroup.get(groupId) ?? []) {
      if (open.offsets.get(groupId)?.get(topic)?.has(partition) === true) return true;
    }
    return false;
  }

  /** Whether an open transaction holds offsets of the group. */
  hasGroup(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  /** The groups with pending offsets. */
  groupIds(): IterableIterator<string> {
    return this.byGroup.keys();
  }

  /** Pending offsets in all (metrics, tests). */
  get size(): number {
    let n = 0;
    for (const byProducer of this.txns.values()) {
      for (const open of byProducer.values()) {
        for (const byTopic of open.offsets.values()) for (const byPartition of byTopic.values()) n += byPartition.size;
      }
    }
    return n;
  }

  /** After removals for `groupIds`: drops emptied maps, and the transaction once it holds nothing. */
  private prune(open: OpenTxn, groupIds: readonly string[]): void {
    for (const groupId of groupIds) {
      const byTopic = open.offsets.get(groupId);
      if (byTopic !== undefined) {
        for (const [topic, byPartition] of byTopic) if (byPartition.size === 0) byTopic.delete(topic);
        if (byTopic.size > 0) continue;
        open.offsets.delete(groupId);
      }
      const txns = this.byGroup.get(groupId);
      txns?.delete(open);
      if (txns?.size === 0) this.byGroup.delete(groupId);
    }
    if (open.offsets.size > 0) return;
    const byProducer = this.txns.get(open.partition);
    if (byProducer?.get(open.producerId) !== open) return;
    byProducer.delete(open.producerId);
    if (byProducer.size === 0) this.txns.delete(open.partition);
  }
}
