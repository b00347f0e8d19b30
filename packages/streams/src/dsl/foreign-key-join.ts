// Building a foreign-key table join into the topology (Kafka's KTableImpl.doJoinOnForeignKey):
// the left side's subscription sender and the registration topic (co-partitioned with the right
// table), the right side's subscription store with its receiver, subscription joiner and
// right-change fan-out, the response topic (co-partitioned with the left table) and the left
// side's response resolver, then the result table. Both internal topics are repartition topics of
// the plan, so the runtime and the test driver create and route them like any other. Names are
// Kafka's, taken from its counter in its order (or from TableJoined's name with Kafka's suffixes).
import {
  foreignTableJoinProcessor,
  responseJoinProcessor,
  subscriptionJoinProcessor,
  subscriptionReceiveProcessor,
  subscriptionSendProcessor,
} from "../processors/foreign-key-join.ts";
import type { SubscriptionStoreOptions } from "../processors/foreign-key-join.ts";
import {
  ForeignKeySerdeTopics,
  subscriptionResponseWrapperSerde,
  subscriptionWrapperSerde,
} from "../processors/foreign-key-wrappers.ts";
import { TableNodeState, tableSourceProcessor } from "../processors/table-processors.ts";
import { storeValueGetter } from "../processors/table-value-getter.ts";
import { Serdes } from "../serdes.ts";
import { Stores } from "../state/stores.ts";
import { valueAndTimestampSerde } from "../state/window-key-schema.ts";
import { TopologyError } from "../topology/errors.ts";
import {
  addProcessor,
  addTimestampedStore,
  requireSerde,
  tableFromNode,
  timestampedStoreBuilder,
  type TableInternals,
} from "./internal.ts";
import type { KTable } from "./ktable.ts";
import type { Materialized } from "./options.ts";
import type { TableJoined } from "./table-join-options.ts";
import { tableSourceNodes, tableValueGetter } from "./table-joins.ts";

const TOPIC_SUFFIX = "-topic";

/** KTable.join / leftJoin with a foreign-key extractor. */
export function foreignKeyJoin<K, V, KO, VO, VR>(params: {
  readonly left: TableInternals<K, V>;
  readonly right: TableInternals<KO, VO>;
  readonly foreignKey: (key: K, value: V) => KO | null | undefined;
  readonly joiner: (value: V | undefined, foreignValue: VO | undefined) => VR | undefined;
  readonly leftJoin: boolean;
  readonly options: TableJoined & Materialized<K, VR>;
}): KTable<K, VR> {
  const { left, right, options, leftJoin } = params;
  const { dsl } = left;
  if (right.dsl.builder !== dsl.builder)
    throw new TopologyError("a join's tables must come from the same StreamsBuilder");
  const operation = `KTable.${leftJoin ? "leftJoin" : "join"} (foreign key)`;
  const leftKeySerde = requireSerde(left.keySerde, `${operation}: the left table needs a key serde`);
  const leftValueSerde = requireSerde(
    left.valueSerde,
    `${operation}: the left table needs a value serde (its values are hashed): materialize it with { value: ... }`,
  );
  const rightKeySerde = requireSerde(right.keySerde, `${operation}: the right table needs a key serde`);
  const rightValueSerde = requireSerde(
    right.valueSerde,
    `${operation}: the right table needs a value serde (its values travel on the response topic)`,
  );

  // Old values of the right table let Kafka skip identical updates; those of the left table are
  // needed to unsubscribe a row's old foreign key.
  right.changes.enableSendingOldValues(true);
  left.changes.enableSendingOldValues(true);

  const named = options.name;
  // A given name still burns the index of the generated one, as Kafka does.
  const nameOf = (suffix: string, prefix: string): string => {
    const generated = dsl.newProcessorName(prefix);
    return named !== undefined ? `${named}${suffix}` : generated;
  };

  const registrationTopic =
    nameOf("-subscription-registration", "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-") + TOPIC_SUFFIX;
  dsl.builder.addInternalTopic(registrationTopic);
  const topics = new ForeignKeySerdeTopics(registrationTopic);
  const wrapperSerde = subscriptionWrapperSerde(leftKeySerde, topics);
  const responseSerde = subscriptionResponseWrapperSerde(rightValueSerde);

  const sendName = nameOf("-subscription-registration-processor", "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-");
  addProcessor(
    dsl,
    sendName,
    subscriptionSendProcessor<K, V, KO>({
      leftJoin,
      foreignKey: params.foreignKey,
      foreignKeySerde: rightKeySerde,
      valueSerde: leftValueSerde,
      topics,
      logger: dsl.logger,
    }),
    [left.name],
  );
  const registrationSink = nameOf("-subscription-registration-sink", "KTABLE-SINK-");
  dsl.builder.addSink({
    name: registrationSink,
    topic: registrationTopic,
    keySerde: rightKeySerde,
    valueSerde: wrapperSerde,
    parents: [sendName],
  });
  const registrationSource = nameOf("-subscription-registration-source", "KTABLE-SOURCE-");
  dsl.builder.addSource({
    name: registrationSource,
    topics: [registrationTopic],
    keySerde: rightKeySerde,
    valueSerde: wrapperSerde,
  });
  // Subscriptions are partitioned by foreign key: like the right table.
  dsl.builder.copartitionSources([...tableSourceNodes(right), registrationSource]);

  const subscriptionStore = nameOf("-subscription-store", "KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-");
  const subscriptions: SubscriptionStoreOptions<K, KO> = {
    storeName: subscriptionStore,
    foreignKeySerde: rightKeySerde,
    primaryKeySerde: leftKeySerde,
    topics,
    logger: dsl.logger,
  };
  const receiveName = nameOf("-subscription-receive", "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-");
  addProcessor(dsl, receiveName, subscriptionReceiveProcessor(subscriptions), [registrationSource]);
  addTimestampedStore(
    dsl,
    Stores.keyValueStore(dsl.defaultStoreType, {
      name: subscriptionStore,
      key: Serdes.bytes(),
      value: valueAndTimestampSerde(wrapperSerde),
      logging: true,
      timestamped: true,
    }),
    receiveName,
  );

  const rightGetter = tableValueGetter(right);
  const subscriptionJoinName = nameOf("-subscription-join-foreign", "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-");
  addProcessor(dsl, subscriptionJoinName, subscriptionJoinProcessor<K, KO, VO>(rightGetter), [receiveName]);
  for (const store of rightGetter.storeNames) dsl.builder.connectProcessorAndStore(subscriptionJoinName, store);

  const foreignJoinName = nameOf("-foreign-join-subscription", "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-");
  addProcessor(dsl, foreignJoinName, foreignTableJoinProcessor<K, KO, VO>(subscriptions), [right.name]);
  dsl.builder.connectProcessorAndStore(foreignJoinName, subscriptionStore);

  const responseTopic = nameOf("-subscription-response", "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-") + TOPIC_SUFFIX;
  dsl.builder.addInternalTopic(responseTopic);
  // Responses go back by primary key: with the default partitioner, to the partition the left row
  // came from (Kafka sends them to the subscription's primary partition, the same one).
  const responseSink = nameOf("-subscription-response-sink", "KTABLE-SINK-");
  dsl.builder.addSink({
    name: responseSink,
    topic: responseTopic,
    keySerde: leftKeySerde,
    valueSerde: responseSerde,
    parents: [subscriptionJoinName, foreignJoinName],
  });
  const responseSource = nameOf("-subscription-response-source", "KTABLE-SOURCE-");
  dsl.builder.addSource({
    name: responseSource,
    topics: [responseTopic],
    keySerde: leftKeySerde,
    valueSerde: responseSerde,
  });
  // Responses are partitioned like the left table; the result's sources are the left table's and this one.
  const sourceNodes = [...tableSourceNodes(left), responseSource];
  dsl.builder.copartitionSources(sourceNodes);

  const leftGetter = tableValueGetter(left);
  const resolverName = nameOf(
    "-subscription-response-resolver",
    "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-",
  );
  addProcessor(
    dsl,
    resolverName,
    responseJoinProcessor<K, V, VO, VR>({
      left: leftGetter,
      valueSerde: leftValueSerde,
      topics,
      joiner: params.joiner,
      leftJoin,
    }),
    [responseSource],
  );
  for (const store of leftGetter.storeNames) dsl.builder.connectProcessorAndStore(resolverName, store);

  // The result: a table source over the resolver's output (materialized when named, or when a
  // later operation needs its rows).
  const resultName = nameOf("-result", "KTABLE-FK-JOIN-OUTPUT-");
  const outputStore = options.storeName ?? dsl.newStoreName("KTABLE-FK-JOIN-OUTPUT-");
  const keySerde = options.key ?? leftKeySerde;
  const materialize = (): string => {
    addTimestampedStore(
      dsl,
      timestampedStoreBuilder(dsl, {
        storeName: outputStore,
        materialized: options,
        keySerde,
        valueSerde: options.value,
        operation,
      }),
      resultName,
    );
    return outputStore;
  };
  const state = new TableNodeState({ materialize });
  addProcessor(dsl, resultName, tableSourceProcessor<K, VR>(state, dsl.logger), [resolverName]);
  if (options.storeName !== undefined) state.storeName = materialize();
  return tableFromNode<K, VR>({
    dsl,
    name: resultName,
    keySerde,
    valueSerde: options.value,
    changes: state,
    queryableStoreName: options.storeName,
    valueGetter: () => {
      state.storeName ??= materialize();
      return storeValueGetter<K, VR>(state.storeName);
    },
    sourceNodes,
  });
}
