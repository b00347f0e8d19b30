// Foreign-key table joins (KIP-213) through the TopologyTestDriver: inner and left joins with
// foreign-key changes, left deletes, right-side updates fanning out to every subscribed left row,
// right deletes, null foreign keys, responses for an outdated left value dropped by their hash,
// results equal on one and on several partitions (the left and right tables partitioned
// differently), the (key, value) extractor form, and the protocol's pieces: Kafka's Murmur3-128
// and the subscription / response byte layouts. table-join-golden.test.ts checks the topics'
// bytes against Kafka Streams itself.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Serdes, silentLogger, StreamsBuilder, TopologyTestDriver, type KTable } from "../src/index.ts";
import {
  ForeignKeySerdeTopics,
  Instruction,
  subscriptionResponseWrapperSerde,
  subscriptionWrapperSerde,
} from "../src/processors/foreign-key-wrappers.ts";
import { murmur3Hash128 } from "../src/processors/murmur3.ts";

const string = Serdes.string();

/** Orders ("<customer>|<item>", keyed by order id) joined with customers (name by customer id). */
function fixture(
  join: (orders: KTable<string, string>, customers: KTable<string, string>) => KTable<string, string>,
  partitions: number | Readonly<Record<string, number>> = 1,
) {
  const builder = new StreamsBuilder({ logger: silentLogger });
  const orders = builder.table("orders", { key: string, value: string });
  const customers = builder.table("customers", { key: string, value: string });
  join(orders, customers).toStream().to("out", { key: string, value: string });
  const topology = builder.build();
  const driver = new TopologyTestDriver(topology, { partitions, applicationId: "app" });
  const ordersIn = driver.createInputTopic("orders", { key: string, value: string });
  const customersIn = driver.createInputTopic("customers", { key: string, value: string });
  const out = driver.createOutputTopic("out", { key: string, value: string });
  return {
    topology,
    driver,
    order: (key: string, value: string | null, ts: number) => ordersIn.pipeInput(key, value, ts),
    customer: (key: string, value: string | null, ts: number) => customersIn.pipeInput(key, value, ts),
    output: () => out.readRecordsToList().map((r) => `${r.key} ${r.value}@${r.timestampMs}`),
  };
}

const customerOf = (order: string): string | null => order.split("|")[0] || null;
const joiner = (order: string, customer: string | null): string => `${order.split("|")[1]}/${customer}`;

describe("KTable.join with a foreign key", () => {
  test("joins, follows foreign-key changes and deletes, fans right-side updates out", () => {
    const f = fixture((orders, customers) => orders.join(customers, customerOf, joiner));
    f.order("o1", "c1|book", 10);
    assert.deepEqual(f.output(), [], "no customer c1 yet");
    f.customer("c1", "Alice", 5);
    assert.deepEqual(f.output(), ["o1 book/Alice@5"], "a right-side change carries its own timestamp");
    f.order("o2", "c1|pen", 20);
    assert.deepEqual(f.output(), ["o2 pen/Alice@20"], "max(20, 5)");
    f.customer("c1", "Alicia", 30);
    assert.deepEqual(f.output(), ["o1 book/Alicia@30", "o2 pen/Alicia@30"], "fan-out to every subscriber");
    f.order("o2", "c2|pen", 40);
    assert.deepEqual(f.output(), ["o2 null@40"], "new foreign key without a row: the old result is deleted");
    f.customer("c2", "Bob", 45);
    assert.deepEqual(f.output(), ["o2 pen/Bob@45"]);
    f.customer("c1", "Alice again", 50);
    assert.deepEqual(f.output(), ["o1 book/Alice again@50"], "o2 unsubscribed from c1");
    f.customer("c2", null, 60);
    assert.deepEqual(f.output(), ["o2 null@60"], "right-side delete");
    f.order("o1", null, 70);
    assert.deepEqual(f.output(), ["o1 null@70"], "left-side delete");
    f.customer("c1", "Ann", 80);
    assert.deepEqual(f.output(), [], "o1 unsubscribed when deleted");
  });

  test("a null foreign key skips the row (and deletes its previous result)", () => {
    const f = fixture((orders, customers) => orders.join(customers, customerOf, joiner));
    f.customer("c1", "Alice", 1);
    f.order("o1", "c1|book", 2);
    f.order("o1", "|book", 3);
    f.order("o2", "|cup", 4);
    assert.deepEqual(f.output(), ["o1 book/Alice@2", "o1 null@3"]);
    f.customer("c1", "Alicia", 5);
    assert.deepEqual(f.output(), []);
  });

  test("the (key, value) extractor form", () => {
    const f = fixture((orders, customers) =>
      orders.join(customers, { fromKeyAndValue: (key, value) => `${key.slice(0, 1)}${value.split("|")[0]}` }, joiner),
    );
    f.customer("oc1", "Alice", 1);
    f.order("o1", "c1|book", 2);
    assert.deepEqual(f.output(), ["o1 book/Alice@2"]);
  });
});

describe("KTable.leftJoin with a foreign key", () => {
  test("every left row has a result: with null for a missing right row or a null foreign key", () => {
    const f = fixture((orders, customers) => orders.leftJoin(customers, customerOf, joiner));
    f.order("o1", "c1|book", 10);
    assert.deepEqual(f.output(), ["o1 book/null@10"]);
    f.customer("c1", "Alice", 15);
    assert.deepEqual(f.output(), ["o1 book/Alice@15"]);
    f.order("o2", "|cup", 20);
    assert.deepEqual(f.output(), ["o2 cup/null@20"], "null foreign key: joined with null (Kafka 3.7+)");
    f.customer("c1", null, 25);
    assert.deepEqual(f.output(), ["o1 book/null@25"]);
    f.order("o1", "c2|book", 30);
    assert.deepEqual(f.output(), ["o1 book/null@30"]);
    f.order("o2", null, 35);
    assert.deepEqual(f.output(), ["o2 null@35"], "left-side delete");
    f.order("o9", null, 36);
    assert.deepEqual(f.output(), [], "deleting an absent row: nothing");
  });
});

describe("stale responses", () => {
  test("a response for an outdated left value is dropped by its hash; one for the current value is joined", () => {
    const f = fixture((orders, customers) => orders.join(customers, customerOf, joiner));
    f.customer("c1", "Alice", 1);
    f.order("o1", "c1|book", 2);
    assert.deepEqual(f.output(), ["o1 book/Alice@2"]);
    const responseTopic = f.topology
      .plan("app")
      .internalTopics.find((spec) => spec.name.includes("SUBSCRIPTION-RESPONSE"))?.name;
    assert.ok(responseTopic !== undefined);
    const responses = f.driver.createInputTopic(responseTopic, {
      key: string,
      value: subscriptionResponseWrapperSerde(string),
    });
    const hashOf = (value: string): Uint8Array => murmur3Hash128(string.serialize(value, { topic: "", headers: [] }));
    // As if c1's update had crossed o1's change to "c1|book2" on the way.
    responses.pipeInput("o1", { hash: hashOf("c1|old"), foreignValue: "Mallory", version: 0 }, 3);
    assert.deepEqual(f.output(), [], "hash of another value: dropped");
    responses.pipeInput("o1", { hash: undefined, foreignValue: "Mallory", version: 0 }, 4);
    assert.deepEqual(f.output(), [], "no hash (a deleted row's) while the row exists: dropped");
    responses.pipeInput("o1", { hash: hashOf("c1|book"), foreignValue: "Alicia", version: 0 }, 5);
    assert.deepEqual(f.output(), ["o1 book/Alicia@5"], "the current value's hash: joined");
  });
});

describe("partitions", () => {
  const scenario = (f: ReturnType<typeof fixture>): Map<string, string> => {
    for (let i = 0; i < 80; i++) {
      const order = `o${i % 9}`;
      const customer = `c${(i * 7) % 5}`;
      if (i % 4 === 0) f.customer(customer, i % 12 === 0 ? null : `name${i}`, i);
      else f.order(order, i % 10 === 1 ? null : `${i % 13 === 0 ? "" : customer}|item${i}`, i);
    }
    const latest = new Map<string, string>();
    for (const line of f.output()) {
      const [key, value] = line.split("@")[0]?.split(" ") as [string, string];
      latest.set(key, value);
    }
    return latest;
  };

  for (const kind of ["join", "leftJoin"] as const) {
    test(`${kind}: the same results on 3 left and 2 right partitions as on one`, () => {
      const join = (orders: KTable<string, string>, customers: KTable<string, string>) =>
        kind === "join" ? orders.join(customers, customerOf, joiner) : orders.leftJoin(customers, customerOf, joiner);
      const single = scenario(fixture(join));
      const spread = fixture(join, { orders: 3, customers: 2 });
      assert.deepEqual(scenario(spread), single);
      assert.ok([...single.values()].some((value) => value !== "null"));
    });
  }

  test("the registration topic follows the right table's partitions, the response topic the left's", () => {
    const f = fixture((orders, customers) => orders.join(customers, customerOf, joiner), { orders: 3, customers: 2 });
    const plan = f.topology.plan("app");
    const names = plan.internalTopics.filter((spec) => spec.kind === "repartition").map((spec) => spec.name);
    assert.deepEqual(names, [
      "app-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic",
      "app-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic",
    ]);
    const groups = plan.subtopologies.flatMap((s) => s.copartitionGroups.map((g) => [...g].sort()));
    assert.deepEqual(groups, [
      ["app-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic", "orders"],
      ["app-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic", "customers"],
    ]);
  });
});

describe("protocol pieces", () => {
  test("Murmur3-128 as Kafka Streams computes it (vectors from its Murmur3.hash128)", () => {
    const vectors: Record<number, string> = {
      0: "9d2764a018e329428c3cf3b035938518",
      1: "bff2166f25d4e3caad76f90042c32eb7",
      7: "e2c12aaa37615c8d78e8fff449acd2e3",
      15: "8541440932df88a8133781906f758397",
      16: "3b1ca826ba2a8ab100ff368af7e15570",
      32: "271fc7adca25c66d69f499a2c53fd088",
    };
    for (const [length, hex] of Object.entries(vectors)) {
      const data = Uint8Array.from({ length: Number(length) }, (_, i) => (i * 37 + 200) & 0xff);
      assert.equal(Buffer.from(murmur3Hash128(data)).toString("hex"), hex, `length ${length}`);
    }
  });

  test("subscription and response layouts", () => {
    const topics = new ForeignKeySerdeTopics("t");
    const subscriptions = subscriptionWrapperSerde(string, topics);
    const hash = Uint8Array.from({ length: 16 }, (_, i) => i);
    const withHash = subscriptions.serialize(
      {
        hash,
        instruction: Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE,
        primaryKey: "k",
        primaryPartition: 2,
        version: 1,
      },
      { topic: "x", headers: [] },
    );
    assert.equal(Buffer.from(withHash).toString("hex"), "0103" + Buffer.from(hash).toString("hex") + "6b" + "00000002");
    const noHash = subscriptions.serialize(
      {
        hash: undefined,
        instruction: Instruction.DELETE_KEY_AND_PROPAGATE,
        primaryKey: "k",
        primaryPartition: 0,
        version: 1,
      },
      { topic: "x", headers: [] },
    );
    assert.equal(Buffer.from(noHash).toString("hex"), "81016b00000000");
    assert.deepEqual(subscriptions.deserialize(noHash, { topic: "x", headers: [] }), {
      hash: undefined,
      instruction: Instruction.DELETE_KEY_AND_PROPAGATE,
      primaryKey: "k",
      primaryPartition: 0,
      version: 1,
    });
    const responses = subscriptionResponseWrapperSerde(string);
    const context = { topic: "x", headers: [] };
    const response = responses.serialize({ hash, foreignValue: "v", version: 0 }, context);
    assert.equal(Buffer.from(response).toString("hex"), "00" + Buffer.from(hash).toString("hex") + "76");
    assert.deepEqual(responses.deserialize(response, context), { hash, foreignValue: "v", version: 0 });
    assert.deepEqual(responses.deserialize(Uint8Array.of(0x80), context), {
      hash: undefined,
      foreignValue: undefined,
      version: 0,
    });
  });

  test("a join needs both tables' serdes", () => {
    const builder = new StreamsBuilder({ logger: silentLogger });
    const orders = builder.table("orders", { key: string, value: string });
    const customers = builder.table("customers", { key: string, value: string });
    const mapped = orders.mapValues((value) => value.length);
    assert.throws(() => mapped.join(customers, () => "c", joiner as never), /value serde/);
  });
});
