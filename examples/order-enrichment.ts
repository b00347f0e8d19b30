// Order enrichment: a stream of orders joined with a table of customers, and a running total per
// customer that can be queried over HTTP. Orders arrive keyed by order id; they are re-keyed by
// customer (through a repartition topic) so each meets its customer's partition of the table, joined
// (an inner stream–table join: an order whose customer is unknown is dropped), written out keyed by
// order id again, and summed per customer in a persistent store. Run several instances with the same
// --application-id: they share the partitions; with --exactly-once every order gives exactly one
// enriched order and counts once in its customer's total, even when an instance is killed.
//
//   node examples/order-enrichment.ts --bootstrap 127.0.0.1:9092 --exactly-once --query-port 8081
//   curl 127.0.0.1:8081/stores/customer-totals/keys/c-7
//
// Input:  orders    key = order id,    value = {"customerId": "c-7", "amount": 1250} (JSON, cents)
//         customers key = customer id, value = {"name": "Ada", "region": "eu"} (JSON; compacted topic)
// Output: enriched orders, key = order id, value = the order with the customer's name and region;
//         customer totals, key = customer id, value = {"orders": 3, "amount": 4150}, on every change.
import { Serdes, StreamsBuilder } from "@samsa/streams";
import type { Topology } from "@samsa/streams";
import { parseFlags, runApplication, runMain } from "./app.ts";
import type { ExampleDescription } from "./app.ts";

export const description: ExampleDescription = {
  command: "node examples/order-enrichment.ts",
  summary: "Joins orders with customers (a table) and keeps a queryable total per customer.",
  applicationId: "order-enrichment",
  input: "orders",
  output: "enriched-orders",
  extraTopics: {
    customers: { default: "customers", help: "the customers (a compacted topic read as a table)" },
    totals: { default: "customer-totals", help: "where the total per customer is written on every change" },
  },
};

export interface Order {
  readonly customerId: string;
  /** In cents: sums of integers stay exact. */
  readonly amount: number;
}

export interface Customer {
  readonly name: string;
  readonly region: string;
}

export interface EnrichedOrder extends Order {
  readonly orderId: string;
  readonly customerName: string;
  readonly region: string;
}

export interface CustomerTotal {
  readonly orders: number;
  readonly amount: number;
}

/** The customers table's store (changelog-free: the customers topic is its changelog). */
export const customersStoreName = "customers";
/** The per-customer totals (changelog `<application id>-customer-totals-changelog`), queryable. */
export const totalsStoreName = "customer-totals";

export interface EnrichmentTopics {
  readonly orders: string;
  readonly customers: string;
  readonly enriched: string;
  readonly totals: string;
}

export function orderEnrichmentTopology(topics: EnrichmentTopics): Topology {
  const builder = new StreamsBuilder();
  const customers = builder.table(topics.customers, {
    key: Serdes.string(),
    value: Serdes.json<Customer>(),
    storeName: customersStoreName,
  });
  const enriched = builder
    .stream(topics.orders, { key: Serdes.string(), value: Serdes.json<Order>() })
    // Re-keyed by customer for the join, the order id kept in the value; a record without an order
    // id or an order (a tombstone) is skipped.
    .flatMap((orderId, order) =>
      orderId === null || order === null ? [] : [{ key: order.customerId, value: { ...order, orderId } }],
    )
    .join(
      customers,
      (order, customer): EnrichedOrder => ({ ...order, customerName: customer.name, region: customer.region }),
      { key: Serdes.string(), value: Serdes.json<Order & { readonly orderId: string }>() },
    );
  enriched
    .map((_customerId, order) => ({ key: order.orderId, value: order }))
    .to(topics.enriched, { key: Serdes.string(), value: Serdes.json<EnrichedOrder>() });
  enriched
    .groupByKey({ key: Serdes.string(), value: Serdes.json<EnrichedOrder>() })
    .aggregate(
      (): CustomerTotal => ({ orders: 0, amount: 0 }),
      (_customerId, order, total) => ({ orders: total.orders + 1, amount: total.amount + order.amount }),
      { storeName: totalsStoreName, storeType: "persistent", value: Serdes.json<CustomerTotal>() },
    )
    .toStream()
    .to(topics.totals, { key: Serdes.string(), value: Serdes.json<CustomerTotal>() });
  return builder.build();
}

async function main(): Promise<void> {
  const { common: flags, topics: extra } = parseFlags(description);
  const topics: EnrichmentTopics = {
    orders: flags.input,
    customers: extra["customers"] ?? "customers",
    enriched: flags.output,
    totals: extra["totals"] ?? "customer-totals",
  };
  await runApplication({
    flags,
    topology: orderEnrichmentTopology(topics),
    topics: [
      { name: topics.orders },
      // The customers topic is a table: compacted, so the latest value per customer is kept forever.
      { name: topics.customers, configs: { "cleanup.policy": "compact" } },
      { name: topics.enriched },
      { name: topics.totals },
    ],
    queryStores: { [totalsStoreName]: { key: Serdes.string() } },
  });
}

if (import.meta.main) runMain(main);
