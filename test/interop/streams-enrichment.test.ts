// Streams part 2 (issue #9) end to end: examples/order-enrichment.ts — orders re-keyed by customer,
// joined with a table of customers, written out, and summed per customer in a persistent,
// queryable store — runs as two instances of one application under exactly_once_v2 against the
// target (Samsa or Apache Kafka). One instance is killed with SIGKILL mid-stream (its transaction
// left open) and restarted on the same state directory while orders keep arriving.
//
// What exactly-once promises, and what is asserted, from the topics alone (read back with plain
// Fetch requests, judging every record by the commit or abort marker that follows it):
//   - every order produced exactly one committed enriched order, with its customer's data, and no
//     record is left in an open transaction;
//   - the committed totals of each customer went up one order at a time: values 1, 2, …, n orders,
//     each step adding exactly one of that customer's order amounts (so no order was counted twice
//     or lost, even in state restored after the kill), ending at the recomputation from the input;
//   - the group committed the end of the input;
//   - interactive queries, sent to either instance over HTTP, answer every customer's total equal to
//     the recomputation (the instance that does not hold the key forwards the query to the one that
//     does), and an unknown customer is not found.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { freePort, seededRandom, uniqueName, waitFor } from "@samsa/testkit";
import {
  committedOffsets,
  endOffsets,
  readPartitionLog,
  repoRoot,
  spawnWatched,
  targetKind,
  useTarget,
} from "./support.ts";
import type { LoggedRecord, WatchedProcess } from "./support.ts";
import { createTopics, inputProducer, waitForReady } from "./streams-support.ts";
import type { InputRecord } from "./streams-support.ts";

const partitions = 3;
const customerCount = 30;
const orderBatches = 12;
const ordersPerBatch = 150;
const orderCount = orderBatches * ordersPerBatch;
/** The batch after which one instance is killed (while later batches are still to come). */
const killAfterBatch = 4;
const sessionTimeoutMs = 6000;
const processTimeoutMs = 240_000;

interface Customer {
  readonly name: string;
  readonly region: string;
}

interface Order {
  readonly customerId: string;
  readonly amount: number;
}

interface Total {
  readonly orders: number;
  readonly amount: number;
}

function inputData(): { customers: Map<string, Customer>; orders: Map<string, Order> } {
  const next = seededRandom(9);
  const regions = ["eu", "us", "apac"] as const;
  const customers = new Map<string, Customer>();
  for (let i = 0; i < customerCount; i++) {
    const id = `c-${String(i).padStart(2, "0")}`;
    customers.set(id, { name: `customer ${i}`, region: regions[i % regions.length] ?? "eu" });
  }
  const ids = [...customers.keys()];
  const orders = new Map<string, Order>();
  for (let i = 0; i < orderCount; i++) {
    const customerId = ids[Math.floor(next() * ids.length)] ?? "c-00";
    orders.set(`o-${String(i).padStart(5, "0")}`, { customerId, amount: 100 + Math.floor(next() * 9900) });
  }
  return { customers, orders };
}

function recomputedTotals(orders: ReadonlyMap<string, Order>): Map<string, Total> {
  const totals = new Map<string, Total>();
  for (const order of orders.values()) {
    const total = totals.get(order.customerId) ?? { orders: 0, amount: 0 };
    totals.set(order.customerId, { orders: total.orders + 1, amount: total.amount + order.amount });
  }
  return totals;
}

/** Every record of a topic with how its transaction ended. */
async function readTopic(bootstrap: string, topic: string): Promise<LoggedRecord[]> {
  const records: LoggedRecord[] = [];
  for (let partition = 0; partition < partitions; partition++)
    records.push(...(await readPartitionLog(bootstrap, { topic, partition })).records);
  return records;
}

const visible = (records: readonly LoggedRecord[]): LoggedRecord[] =>
  records.filter((r) => r.outcome === "committed" || r.outcome === "none");

function parse<T>(record: LoggedRecord, what: string): T {
  if (record.value === null) throw new Error(`${what} at ${record.partition}:${record.offset}: null value`);
  return JSON.parse(record.value) as T;
}

async function queryTotal(port: number, customerId: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(
    `http://127.0.0.1:${port}/stores/customer-totals/keys/${encodeURIComponent(customerId)}`,
    { signal: AbortSignal.timeout(10_000) },
  );
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

describe(`streams: orders joined with customers, two instances under exactly-once, on ${targetKind}`, () => {
  const target = useTarget({ settings: targetKind === "samsa" ? { "group.initial.rebalance.delay.ms": "0" } : {} });

  test("one SIGKILLed instance: each order enriched exactly once, totals exact, queries routed by key", async (t) => {
    const bootstrap = target().bootstrap;
    const id = uniqueName("enrich");
    const appId = `${id}-app`;
    const topics = {
      orders: `${id}-orders`,
      customers: `${id}-customers`,
      enriched: `${id}-enriched`,
      totals: `${id}-totals`,
    };
    const { customers, orders } = inputData();
    await createTopics(
      bootstrap,
      [
        { name: topics.orders },
        { name: topics.customers, configs: { "cleanup.policy": "compact" } },
        { name: topics.enriched },
        { name: topics.totals },
      ],
      partitions,
    );

    const stateDirs = [mkdtempSync(join(tmpdir(), "samsa-enrich-a-")), mkdtempSync(join(tmpdir(), "samsa-enrich-b-"))];
    const ports = [await freePort(), await freePort()];
    const running: WatchedProcess[] = [];
    t.after(() => {
      for (const proc of running) proc.kill("SIGKILL");
      for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
    });
    const start = (instance: 0 | 1): WatchedProcess => {
      const proc = spawnWatched(
        process.execPath,
        [
          join(repoRoot, "examples/order-enrichment.ts"),
          "--bootstrap",
          bootstrap,
          "--application-id",
          appId,
          "--input",
          topics.orders,
          "--output",
          topics.enriched,
          "--customers",
          topics.customers,
          "--totals",
          topics.totals,
          "--state-dir",
          stateDirs[instance] ?? "",
          "--exactly-once",
          "--session-timeout-ms",
          String(sessionTimeoutMs),
          "--query-port",
          String(ports[instance]),
        ],
        { timeoutMs: processTimeoutMs, env: { SAMSA_BROKERS: "" } },
      );
      running.push(proc);
      return proc;
    };

    const a = start(0);
    const b = start(1);
    await Promise.all([waitForReady(a), waitForReady(b)]);

    // The customers first, and processed (their offsets committed) before any order arrives: the
    // inner join then finds every order's customer, whatever order the partitions are fetched in.
    const customerInput = inputProducer(bootstrap, topics.customers, partitions);
    const orderInput = inputProducer(bootstrap, topics.orders, partitions);
    t.after(async () => {
      await customerInput.close();
      await orderInput.close();
    });
    await customerInput.send([...customers].map(([key, c]): InputRecord => ({ key, value: JSON.stringify(c) })));
    const customerEnds = await endOffsets(bootstrap, topics.customers, partitions);
    await waitFor(
      async () => {
        const committed = await committedOffsets(bootstrap, { groupId: appId, topic: topics.customers, partitions });
        return committed.every((offset, p) => offset === customerEnds[p]) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: "the customers to be processed and committed" },
    );

    const orderRecords = [...orders].map(([key, o]): InputRecord => ({ key, value: JSON.stringify(o) }));
    let restarted: WatchedProcess | undefined;
    for (let batch = 0; batch < orderBatches; batch++) {
      await orderInput.send(orderRecords.slice(batch * ordersPerBatch, (batch + 1) * ordersPerBatch));
      if (batch !== killAfterBatch - 1) continue;
      // Mid-stream: wait until some enriched orders are committed, then kill instance A at once.
      const committedSoFar = await waitFor(
        async () => {
          const count = visible(await readTopic(bootstrap, topics.enriched)).length;
          return count > 0 ? count : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50, what: "the first enriched orders to be committed" },
      );
      assert.ok(committedSoFar < orderCount, "killed mid-stream");
      a.kill("SIGKILL");
      const exit = await a.exit;
      assert.equal(exit.signal, "SIGKILL", `instance A ended before it was killed\n${a.describe()}`);
      restarted = start(0);
    }
    assert.ok(restarted !== undefined);
    await waitForReady(restarted);

    // Done: every order has a committed enriched order and no transaction is left open.
    let progress = "nothing read yet";
    const enriched = await waitFor(
      async () => {
        const records = await readTopic(bootstrap, topics.enriched);
        const open = records.filter((r) => r.outcome === "open").length;
        progress = `${visible(records).length} committed, ${open} in open transactions`;
        return open === 0 && visible(records).length >= orderCount ? records : undefined;
      },
      {
        timeoutMs: 180_000,
        intervalMs: 500,
        what: `${orderCount} committed enriched orders and no open transaction`,
        describe: () =>
          `enriched: ${progress}\ninstance B:\n${b.describe()}\nrestarted A:\n${restarted?.describe() ?? ""}`,
      },
    );

    // Exactly one enriched order per order, with its customer's data.
    const seen = new Map<string, number>();
    for (const record of visible(enriched)) {
      const value = parse<Order & { orderId: string; customerName: string; region: string }>(record, "enriched");
      assert.equal(record.key, value.orderId, "enriched orders are keyed by order id");
      const order = orders.get(value.orderId);
      assert.ok(order !== undefined, `an enriched order for an unknown order ${value.orderId}`);
      const customer = customers.get(order.customerId);
      assert.deepEqual(value, {
        ...order,
        orderId: value.orderId,
        customerName: customer?.name,
        region: customer?.region,
      });
      seen.set(value.orderId, (seen.get(value.orderId) ?? 0) + 1);
    }
    const duplicated = [...seen].filter(([, n]) => n > 1).map(([orderId]) => orderId);
    assert.deepEqual(duplicated, [], "orders enriched more than once");
    assert.equal(seen.size, orderCount, "every order enriched");

    // Totals went up one order at a time, each step by one of the customer's amounts.
    const expected = recomputedTotals(orders);
    const amountsOf = new Map<string, number[]>();
    for (const order of orders.values())
      amountsOf.set(order.customerId, [...(amountsOf.get(order.customerId) ?? []), order.amount]);
    const totals = await waitFor(
      async () => {
        const records = visible(await readTopic(bootstrap, topics.totals));
        return records.length >= orderCount ? records : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `${orderCount} committed total updates` },
    );
    const steps = new Map<string, Total[]>();
    for (const record of totals) {
      assert.ok(record.key !== null);
      steps.set(record.key, [...(steps.get(record.key) ?? []), parse<Total>(record, "total")]);
    }
    for (const [customerId, total] of expected) {
      const history = steps.get(customerId) ?? [];
      assert.deepEqual(
        history.map((s) => s.orders),
        Array.from({ length: total.orders }, (_, i) => i + 1),
        `${customerId}: one update per order, in order`,
      );
      const increments = history.map((s, i) => s.amount - (i === 0 ? 0 : (history[i - 1]?.amount ?? 0)));
      assert.deepEqual(
        increments.toSorted((x, y) => x - y),
        (amountsOf.get(customerId) ?? []).toSorted((x, y) => x - y),
        `${customerId}: each step adds one of its orders`,
      );
      assert.deepEqual(history.at(-1), total, `${customerId}: final total`);
    }
    assert.equal(steps.size, expected.size, "totals only for customers with orders");

    // The group committed the end of its input.
    const orderEnds = await endOffsets(bootstrap, topics.orders, partitions);
    await waitFor(
      async () => {
        const committed = await committedOffsets(bootstrap, { groupId: appId, topic: topics.orders, partitions });
        return committed.every((offset, p) => offset === orderEnds[p]) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "the end of the orders to be committed" },
    );

    // Interactive queries through either instance, routed by key.
    for (const port of ports) {
      for (const [customerId, total] of expected) {
        const answer = await waitFor(
          async () => {
            const response = await queryTotal(port, customerId);
            return response.status === 503 ? undefined : response; // rebalancing: ask again
          },
          { timeoutMs: 30_000, intervalMs: 200, what: `a query for ${customerId} on port ${port}` },
        );
        assert.equal(answer.status, 200, `${customerId} on port ${port}: ${JSON.stringify(answer.body)}`);
        const body = answer.body as { key?: unknown; value?: unknown };
        assert.deepEqual([body.key, body.value], [customerId, total], `${customerId} on port ${port}`);
      }
      const missing = await queryTotal(port, "c-unknown");
      assert.equal(missing.status, 404, "an unknown customer is not found");
    }

    // A clean close of both instances.
    for (const proc of [b, restarted]) {
      proc.kill("SIGTERM");
      const result = await proc.exit;
      assert.equal(result.code, 0, `a clean close\n${proc.describe()}`);
    }
  });
});
