// How KStream's joins are added to the topology (Kafka's KStreamImpl.doJoin / KStreamImplJoin,
// doStreamTableJoin and globalTableJoin): repartitioning a side whose key changed, co-partitioning
// the sides, the nodes and stores with Kafka's names (KSTREAM-WINDOWED-, KSTREAM-JOINTHIS-/
// OUTERTHIS-, KSTREAM-JOINOTHER-/OUTEROTHER-, KSTREAM-MERGE-, the `-store` and KSTREAM-OUTERSHARED-
// stores; KSTREAM-JOIN-/LEFTJOIN- for table joins), so describe() prints what Kafka prints.
import { passThroughProcessor } from "../processors/stream-processors.ts";
import {
  joinWindowProcessor,
  leftOrRightListSerde,
  streamStreamJoinProcessors,
  timestampedKeyAndJoinSideSerde,
} from "../processors/stream-stream-join.ts";
import { streamTableJoinProcessor } from "../processors/stream-table-join.ts";
import { storeValueGetter } from "../processors/table-value-getter.ts";
import type { Serde } from "../serdes.ts";
import type { StateStore, StoreBuilder } from "../state/store.ts";
import { Stores } from "../state/stores.ts";
import { addProcessor, repartitionThrough, requireSerde, type DslContext } from "./internal.ts";
import type { JoinWindows } from "./join-windows.ts";
import type { Joined, StreamJoined } from "./join-options.ts";
import { KStream, type StreamInternals } from "./kstream.ts";
import type { GlobalKTable, KTable } from "./ktable.ts";
import type { Named } from "./options.ts";
import { tableSourceNodes, tableValueGetter } from "./table-joins.ts";

/**
 * The last repartitioned copy of a stream a join made: an unnamed join of the same stream reuses it
 * instead of a second topic (Kafka keeps it on the KStream object).
 */
const joinRepartitions = new WeakMap<
  StreamInternals<unknown, unknown>,
  { readonly source: string; readonly keySerde: unknown; readonly valueSerde: unknown }
>();

/** Kafka's repartitionForJoin: the stream through `<prefix>-repartition`. */
function repartitionForJoin<K, V>(
  stream: StreamInternals<K, V>,
  prefix: string,
  keySerde: Serde<NonNullable<K>> | undefined,
  valueSerde: Serde<NonNullable<V>> | undefined,
  operation: string,
): StreamInternals<K, V> {
  const { dsl } = stream;
  const cached = joinRepartitions.get(stream);
  if (cached !== undefined && prefix === stream.name) {
    // Kafka burns the names of the repartition nodes it does not create again.
    dsl.newProcessorName("KSTREAM-SINK-");
    dsl.newProcessorName("KSTREAM-FILTER-");
    dsl.newProcessorName("KSTREAM-SOURCE-");
    return {
      dsl,
      name: cached.source,
      keySerde: cached.keySerde as Serde<NonNullable<K>> | undefined,
      valueSerde: cached.valueSerde as Serde<NonNullable<V>> | undefined,
      repartitionRequired: false,
    };
  }
  const key = keySerde ?? stream.keySerde;
  const value = valueSerde ?? stream.valueSerde;
  const source = repartitionThrough(dsl, {
    parent: stream.name,
    prefix,
    keySerde: requireSerde(key, `${operation} repartitions the stream ${stream.name}: pass { key: ... }`),
    valueSerde: requireSerde(value, `${operation} repartitions the stream ${stream.name}: pass { value: ... }`),
  });
  joinRepartitions.set(stream, { source, keySerde: key, valueSerde: value });
  return { dsl, name: source, keySerde: key, valueSerde: value, repartitionRequired: false };
}

/** The source nodes a node reads from within its sub-topology (Kafka's subTopologySourceNodes). */
function sourceNodesOf(dsl: DslContext, name: string): string[] {
  const sources = new Set<string>();
  const seen = new Set<string>();
  const pending = [name];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    const node = dsl.builder.nodes.get(next);
    if (node === undefined) continue;
    if (node.kind === "source") sources.add(next);
    else pending.push(...node.parents);
  }
  return [...sources];
}

function copartition(dsl: DslContext, nodeNames: readonly string[], moreSources: readonly string[] = []): void {
  const sources = new Set([...nodeNames.flatMap((name) => sourceNodesOf(dsl, name)), ...moreSources]);
  dsl.builder.copartitionSources([...sources]);
}

/** Kafka's NamedInternal.suffixWithOrElseGet with a prefix: burns an index even when a name is given. */
function suffixedOrGenerated(dsl: DslContext, name: string | undefined, suffix: string, prefix: string): string {
  const generated = dsl.newProcessorName(prefix);
  return name === undefined ? generated : name + suffix;
}

export interface StreamStreamJoinKind {
  readonly leftOuter: boolean;
  readonly rightOuter: boolean;
}

/** KStream.join / leftJoin / outerJoin with another stream. */
export function streamStreamJoin<K, V, VO, VR>(
  left: StreamInternals<K, V>,
  right: StreamInternals<K, VO>,
  joiner: (key: K, left: V | null, right: VO | null) => VR,
  windows: JoinWindows,
  options: StreamJoined<NonNullable<K>, NonNullable<V>, NonNullable<VO>>,
  kind: StreamStreamJoinKind,
): KStream<K, VR> {
  const { dsl } = left;
  const operation = kind.rightOuter ? "outerJoin" : kind.leftOuter ? "leftJoin" : "join";
  let thisStream = left;
  let otherStream = right;
  if (thisStream.repartitionRequired) {
    const prefix = options.name === undefined ? thisStream.name : `${options.name}-left`;
    thisStream = repartitionForJoin(thisStream, prefix, options.key, options.value, operation);
  }
  if (otherStream.repartitionRequired) {
    const prefix = options.name === undefined ? otherStream.name : `${options.name}-right`;
    otherStream = repartitionForJoin(otherStream, prefix, options.key, options.otherValue, operation);
  }
  copartition(dsl, [thisStream.name, otherStream.name]);

  const { name, storeName } = options;
  const thisSuffix = kind.rightOuter ? "-outer-this-join" : "-this-join";
  const otherSuffix = kind.leftOuter ? "-outer-other-join" : "-other-join";
  const thisWindowedName = suffixedOrGenerated(dsl, name, "-this-windowed", "KSTREAM-WINDOWED-");
  const otherWindowedName = suffixedOrGenerated(dsl, name, "-other-windowed", "KSTREAM-WINDOWED-");
  const thisPrefix = kind.rightOuter ? "KSTREAM-OUTERTHIS-" : "KSTREAM-JOINTHIS-";
  const joinThisGenerated = dsl.newProcessorName(thisPrefix);
  const joinOtherGenerated = dsl.newProcessorName(kind.leftOuter ? "KSTREAM-OUTEROTHER-" : "KSTREAM-JOINOTHER-");
  const joinThisName = name === undefined ? joinThisGenerated : name + thisSuffix;
  const joinOtherName = name === undefined ? joinOtherGenerated : name + otherSuffix;
  const mergeName = suffixedOrGenerated(dsl, name, "-merge", "KSTREAM-MERGE-");

  const thisStoreName = (storeName === undefined ? joinThisGenerated : storeName + thisSuffix) + "-store";
  const otherStoreName = (storeName === undefined ? joinOtherGenerated : storeName + otherSuffix) + "-store";
  let outerStoreName: string | undefined;
  if (kind.leftOuter) {
    const sharedSuffix = kind.rightOuter ? "-outer-shared-join" : "-left-shared-join";
    outerStoreName =
      (storeName === undefined
        ? "KSTREAM-OUTERSHARED-" + joinThisGenerated.slice(thisPrefix.length)
        : storeName + sharedSuffix) + "-store";
  }

  const keySerde = requireSerde(
    options.key ?? thisStream.keySerde ?? otherStream.keySerde,
    `${operation}: the join stores need a key serde: pass { key: ... } in StreamJoined`,
  );
  const thisValueSerde = requireSerde(
    options.value ?? thisStream.valueSerde,
    `${operation}: the join store ${thisStoreName} needs a value serde: pass { value: ... } in StreamJoined`,
  );
  const otherValueSerde = requireSerde(
    options.otherValue ?? otherStream.valueSerde,
    `${operation}: the join store ${otherStoreName} needs a value serde: pass { otherValue: ... } in StreamJoined`,
  );
  const storeType = options.storeType ?? dsl.defaultStoreType;
  const sizeMs = windows.size();
  const retentionMs = sizeMs + windows.gracePeriodMs();
  const logging = options.logging ?? true;
  const windowStore = <VS>(storeName: string, valueSerde: Serde<VS>): StoreBuilder<StateStore> => {
    const storeOptions = {
      name: storeName,
      retentionMs,
      windowSizeMs: sizeMs,
      retainDuplicates: true,
      keySerde,
      valueSerde,
    };
    const builder =
      storeType === "persistent"
        ? Stores.persistentWindowStore(storeOptions)
        : Stores.inMemoryWindowStore(storeOptions);
    if (logging === false) return builder.withLoggingDisabled();
    // Duplicates are kept, so the changelog must not be compacted (Kafka: cleanup.policy=delete).
    const configs = typeof logging === "object" ? logging.configs : {};
    return builder.withLoggingEnabled({ ...configs, "cleanup.policy": "delete" });
  };

  const processors = streamStreamJoinProcessors<NonNullable<K>, NonNullable<V>, NonNullable<VO>, VR>({
    beforeMs: windows.beforeMs,
    afterMs: windows.afterMs,
    graceMs: windows.gracePeriodMs(),
    leftOuter: kind.leftOuter,
    rightOuter: kind.rightOuter,
    leftStoreName: thisStoreName,
    rightStoreName: otherStoreName,
    outerStoreName,
    joiner: joiner,
    logger: dsl.logger,
  });
  addProcessor(dsl, thisWindowedName, joinWindowProcessor<K, V>(thisStoreName), [thisStream.name]);
  addProcessor(dsl, otherWindowedName, joinWindowProcessor<K, VO>(otherStoreName), [otherStream.name]);
  addProcessor(dsl, joinThisName, processors.left, [thisWindowedName]);
  addProcessor(dsl, joinOtherName, processors.right, [otherWindowedName]);
  addProcessor(dsl, mergeName, passThroughProcessor<K, VR>(), [joinThisName, joinOtherName]);
  dsl.builder.addStateStore(windowStore(thisStoreName, thisValueSerde), [thisWindowedName, joinOtherName]);
  dsl.builder.addStateStore(windowStore(otherStoreName, otherValueSerde), [otherWindowedName, joinThisName]);
  if (outerStoreName !== undefined) {
    const outerStore = Stores.keyValueStore(storeType, {
      name: outerStoreName,
      key: timestampedKeyAndJoinSideSerde(keySerde),
      value: leftOrRightListSerde(thisValueSerde, otherValueSerde),
      logging: logging === false ? false : typeof logging === "object" ? logging : true,
    });
    dsl.builder.addStateStore(outerStore, [joinThisName, joinOtherName]);
  }
  return new KStream<K, VR>({
    dsl,
    name: mergeName,
    keySerde: options.key ?? thisStream.keySerde,
    valueSerde: undefined,
    repartitionRequired: false,
  });
}

/** KStream.join / leftJoin with a table: each record looks up the table's row for its key. */
export function streamTableJoin<K, V, VT, VR>(
  stream: StreamInternals<K, V>,
  table: KTable<NonNullable<K>, VT>,
  joiner: (key: K, value: NonNullable<V>, tableValue: VT | null) => VR,
  options: Joined<NonNullable<K>, NonNullable<V>, VT>,
  leftJoin: boolean,
): KStream<K, VR> {
  const { dsl } = stream;
  const operation = leftJoin ? "leftJoin" : "join";
  let joinStream = stream;
  if (joinStream.repartitionRequired) {
    joinStream = repartitionForJoin(joinStream, options.name ?? stream.name, options.key, options.value, operation);
  }
  copartition(dsl, [joinStream.name], tableSourceNodes(table.internals));
  // Kafka 4.4 burns an index for the processor even when Joined names it.
  const generated = dsl.newProcessorName(leftJoin ? "KSTREAM-LEFTJOIN-" : "KSTREAM-JOIN-");
  const name = options.name ?? generated;
  const getter = tableValueGetter(table.internals);
  addProcessor(
    dsl,
    name,
    streamTableJoinProcessor<K, V, NonNullable<K>, VT, VR>({
      table: getter,
      keyMapper: (key) => key as NonNullable<K> | null | undefined,
      joiner: (key, value, tableValue) => joiner(key, value, tableValue),
      leftJoin,
      logger: dsl.logger,
    }),
    [joinStream.name],
  );
  for (const store of getter.storeNames) dsl.builder.connectProcessorAndStore(name, store);
  return new KStream<K, VR>({
    dsl,
    name,
    keySerde: options.key ?? joinStream.keySerde,
    valueSerde: undefined,
    repartitionRequired: false,
  });
}

/** KStream.join / leftJoin with a global table: a lookup by the key `keySelector` picks, no repartitioning. */
export function streamGlobalTableJoin<K, V, KG, VG, VR>(
  stream: StreamInternals<K, V>,
  globalTable: GlobalKTable<KG, VG>,
  keySelector: (key: K, value: V) => KG | null | undefined,
  joiner: (key: K, value: NonNullable<V>, globalValue: VG | null, globalKey: KG | null) => VR,
  options: Named,
  leftJoin: boolean,
): KStream<K, VR> {
  const { dsl } = stream;
  // Kafka names both global-table joins KSTREAM-LEFTJOIN-, and burns the index when Named names it.
  const generated = dsl.newProcessorName("KSTREAM-LEFTJOIN-");
  const name = options.name ?? generated;
  addProcessor(
    dsl,
    name,
    streamTableJoinProcessor<K, V, KG, VG, VR>({
      // The global store is readable by every processor: not connected.
      table: storeValueGetter<KG, VG>(globalTable.storeName),
      keyMapper: keySelector,
      joiner,
      leftJoin,
      logger: dsl.logger,
    }),
    [stream.name],
  );
  return new KStream<K, VR>({
    dsl,
    name,
    keySerde: stream.keySerde,
    valueSerde: undefined,
    repartitionRequired: stream.repartitionRequired,
  });
}
