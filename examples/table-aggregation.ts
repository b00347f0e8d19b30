// Total balance per region, from a compacted topic of accounts: the topic is read as a table (the
// latest value per account id; a null value deletes the account), re-grouped by region, and summed
// with an adder for an account's new balance and a subtractor for the one it replaces — so moving
// an account to another region, changing its balance or deleting it keeps every total right. Both
// stores are persistent (SQLite in --state-dir) and logged to compacted changelogs.
//
//   node examples/table-aggregation.ts --bootstrap 127.0.0.1:9092 --input accounts --output balance-by-region
//
// Input: key = account id, value = {"region": "eu", "balance": 1250} (JSON; balances in cents), or null.
// Output: key = region, value = the region's total balance (a long), on every change.
import { Serdes, StreamsBuilder } from "@samsa/streams";
import type { Topology } from "@samsa/streams";
import { parseFlags, runApplication, runMain } from "./app.ts";
import type { ExampleDescription } from "./app.ts";

export const description: ExampleDescription = {
  command: "node examples/table-aggregation.ts",
  summary: "Sums account balances (a compacted topic of account → {region, balance}) per region.",
  applicationId: "balance-by-region",
  input: "accounts",
  output: "balance-by-region",
};

export interface Account {
  readonly region: string;
  /** In cents: sums of integers stay exact. */
  readonly balance: number;
}

/** The table of accounts (changelog `<application id>-accounts-changelog`). */
export const accountsStoreName = "accounts";
/** The totals (changelog `<application id>-balance-by-region-changelog`, repartition topic `…-balance-by-region-repartition`). */
export const totalsStoreName = "balance-by-region";

export function tableAggregationTopology(topics: { readonly input: string; readonly output: string }): Topology {
  const builder = new StreamsBuilder();
  builder
    .table(topics.input, {
      key: Serdes.string(),
      value: Serdes.json<Account>(),
      storeName: accountsStoreName,
      storeType: "persistent",
    })
    .groupBy((_id, account) => ({ key: account.region, value: account.balance }), {
      key: Serdes.string(),
      value: Serdes.long(),
    })
    .reduce(
      (total, balance) => total + balance, // adder: an account's new balance joins its region
      (total, balance) => total - balance, // subtractor: its previous balance leaves the old region
      { storeName: totalsStoreName, storeType: "persistent" },
    )
    .toStream()
    .to(topics.output, { key: Serdes.string(), value: Serdes.long() });
  return builder.build();
}

async function main(): Promise<void> {
  const { common: flags } = parseFlags(description);
  await runApplication({
    flags,
    topology: tableAggregationTopology(flags),
    // The accounts topic is a table: compacted, so the latest value per account is kept forever.
    topics: [{ name: flags.input, configs: { "cleanup.policy": "compact" } }, { name: flags.output }],
  });
}

if (import.meta.main) runMain(main);
