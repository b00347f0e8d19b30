// `samsa group` against the target (Samsa or Apache Kafka): list, describe with lag, seek by time as
// a data-recovery replay (dry run first, then for real, then the group reads exactly the records
// after the boundary), seek by shift, refusal while the group has active members, and delete.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { uniqueName, waitFor } from "@samsa/testkit";
import { jsonLinesOf, nodeBin, produceWithClient, samsa, samsaBin, samsaFails, samsaOk } from "./cli-support.ts";
import type { ConsumedRecord } from "./cli-support.ts";
import { spawnWatched, useTarget } from "./support.ts";

const target = useTarget();
const b = (): string => target().bootstrap;

interface Described {
  group: string;
  type: string;
  state: string;
  protocolType: string;
  members: {
    memberId: string;
    clientId: string;
    host: string;
    assignment: { topic: string; partitions: number[] }[];
  }[];
  offsets: {
    topic: string;
    partition: number;
    committedOffset: number | null;
    logEndOffset: number | null;
    lag: number | null;
  }[];
  totalLag: number;
}

interface PlanRow {
  group: string;
  topic: string;
  partition: number;
  current: number | null;
  target: number;
  change: number | null;
  dryRun: boolean;
}

async function describeGroup(group: string): Promise<Described> {
  return JSON.parse((await samsaOk(b(), ["group", "describe", group, "-o", "json"])).stdout) as Described;
}

const committed = (d: Described): [number, number | null][] => d.offsets.map((o) => [o.partition, o.committedOffset]);

async function consumeWithGroup(topic: string, group: string): Promise<ConsumedRecord[]> {
  return jsonLinesOf<ConsumedRecord>(
    (await samsaOk(b(), ["consume", topic, "-g", group, "-o", "json"], { timeoutMs: 90_000 })).stdout,
  );
}

/** Values per partition in offset order. */
function valuesByPartition(records: readonly ConsumedRecord[]): Record<number, (string | null)[]> {
  const out: Record<number, (string | null)[]> = {};
  for (const r of [...records].sort((x, y) => x.partition - y.partition || x.offset - y.offset))
    (out[r.partition] ??= []).push(r.value);
  return out;
}

describe("samsa group", { timeout: 300_000 }, () => {
  test("seek by time replays exactly the records after it (dry run first); describe shows lag", async () => {
    const topic = uniqueName("cli-seek");
    const group = uniqueName("cli-seek-group");
    await samsaOk(b(), ["topic", "create", topic, "-p", "2"]);
    // Two phases of records with explicit timestamps, an hour and half an hour ago; the boundary
    // is the first timestamp of the second phase.
    const now = Date.now();
    const phaseA = now - 3_600_000;
    const boundary = now - 1_800_000;
    const message = (label: string, i: number, base: number) => ({
      topic,
      partition: i % 2,
      value: Buffer.from(`${label}${i}`),
      timestamp: BigInt(base + i * 1000),
    });
    await produceWithClient(b(), [
      ...Array.from({ length: 6 }, (_, i) => message("a", i, phaseA)),
      ...Array.from({ length: 6 }, (_, i) => message("b", i, boundary)),
    ]);

    // The group reads everything and commits the ends.
    assert.equal((await consumeWithGroup(topic, group)).length, 12);
    const listed = jsonLinesOf<{ group: string; state: string; protocolType: string }>(
      (await samsaOk(b(), ["group", "list", "-o", "json"])).stdout,
    );
    assert.deepEqual(
      listed.filter((g) => g.group === group).map((g) => [g.state, g.protocolType]),
      [["Empty", "consumer"]],
    );
    let described = await describeGroup(group);
    assert.equal(described.state, "Empty");
    assert.deepEqual(committed(described), [
      [0, 6],
      [1, 6],
    ]);
    assert.equal(described.totalLag, 0);

    // Three newer records: lag 3 (2 in partition 0, 1 in partition 1).
    await produceWithClient(
      b(),
      Array.from({ length: 3 }, (_, i) => message("c", i, now - 60_000)),
    );
    described = await describeGroup(group);
    assert.deepEqual(
      described.offsets.map((o) => [o.partition, o.committedOffset, o.logEndOffset, o.lag]),
      [
        [0, 6, 8, 2],
        [1, 6, 7, 1],
      ],
    );
    assert.equal(described.totalLag, 3);
    const text = (await samsaOk(b(), ["group", "describe", group])).stdout;
    assert.match(text, /State\s+Empty/);
    assert.match(text, /TOPIC\s+PARTITION\s+COMMITTED\s+LOG-END\s+LAG\s+OWNER/);
    assert.match(text, new RegExp(`${topic}\\s+0\\s+6\\s+8\\s+2\\s+-`));

    // Dry run: the plan (each partition back to its first "b" record), nothing changes.
    const at = `@${boundary}`;
    const dry = jsonLinesOf<PlanRow>(
      (await samsaOk(b(), ["group", "seek", group, "--topic", topic, "--to", at, "--dry-run", "-o", "json"])).stdout,
    );
    assert.deepEqual(
      dry.map((r) => [r.partition, r.current, r.target, r.change, r.dryRun]),
      [
        [0, 6, 3, -3, true],
        [1, 6, 3, -3, true],
      ],
    );
    assert.deepEqual(committed(await describeGroup(group)), [
      [0, 6],
      [1, 6],
    ]);
    const dryText = (await samsaOk(b(), ["group", "seek", group, "--topic", topic, "--to", at, "--dry-run"])).stdout;
    assert.match(dryText, /TOPIC\s+PARTITION\s+CURRENT\s+NEW\s+CHANGE/);
    assert.match(dryText, new RegExp(`${topic}\\s+0\\s+6\\s+3\\s+-3`));
    assert.match(dryText, /dry run: group .* not changed/);

    // For real: the same plan, committed.
    const real = (await samsaOk(b(), ["group", "seek", group, "--topic", topic, "--to", at])).stdout;
    assert.match(real, new RegExp(`${topic}\\s+1\\s+6\\s+3\\s+-3`));
    assert.match(real, /committed new offsets for 2 partition/);
    assert.deepEqual(committed(await describeGroup(group)), [
      [0, 3],
      [1, 3],
    ]);

    // The group now reads exactly the records from the boundary on: b0-b5 and c0-c2.
    const replayed = await consumeWithGroup(topic, group);
    assert.deepEqual(valuesByPartition(replayed), {
      0: ["b0", "b2", "b4", "c0", "c2"],
      1: ["b1", "b3", "b5", "c1"],
    });
    assert.ok(replayed.every((r) => r.timestamp >= boundary));

    // Shift back by 2 in one partition only; a time after every record goes to the end.
    await samsaOk(b(), ["group", "seek", group, "--topic", topic, "-p", "1", "--shift-by=-2"]);
    assert.deepEqual(committed(await describeGroup(group)), [
      [0, 8],
      [1, 5],
    ]);
    await samsaOk(b(), ["group", "seek", group, "--all-topics", "--to", `@${now + 3_600_000}`]);
    assert.deepEqual(committed(await describeGroup(group)), [
      [0, 8],
      [1, 7],
    ]);
    await samsaOk(b(), ["group", "seek", group, "--all-topics", "--to", "earliest"]);
    assert.equal((await describeGroup(group)).totalLag, 15);

    await samsaFails(b(), ["group", "seek", group, "--topic", topic], 2, /exactly one of --to and --shift-by/);
    await samsaFails(b(), ["group", "seek", group, "--to", "earliest"], 2, /--topic TOPIC or --all-topics/);
    await samsaFails(
      b(),
      ["group", "seek", group, "--topic", uniqueName("cli-none"), "--to", "earliest"],
      4,
      /does not exist/,
    );

    await samsaOk(b(), ["group", "delete", group]);
    await samsaFails(b(), ["group", "describe", group], 4, /group .* does not exist/);
    await samsaFails(b(), ["group", "delete", group], 4, /does not exist/);
    await samsaOk(b(), ["group", "delete", group, "--if-exists"]);
  });

  test("seek and delete are refused while the group has active members", async () => {
    const topic = uniqueName("cli-active");
    const group = uniqueName("cli-active-group");
    await samsaOk(b(), ["topic", "create", topic, "-p", "2"]);
    await samsaOk(b(), ["produce", topic], { input: "one\ntwo\nthree\n" });
    const member = spawnWatched(nodeBin, [samsaBin, "consume", topic, "-g", group, "--follow"], {
      env: { SAMSA_BROKERS: b() },
      timeoutMs: 180_000,
    });
    try {
      const active = await waitFor(
        async () => {
          const d = await describeGroup(group).catch(() => undefined);
          return d !== undefined && d.state === "Stable" && d.members.length === 1 ? d : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: "the consumer to join the group" },
      );
      assert.equal(active.members[0]?.clientId, "samsa-cli");
      assert.deepEqual(active.members[0]?.assignment, [{ topic, partitions: [0, 1] }]);
      const owned = (await samsaOk(b(), ["group", "describe", group])).stdout;
      assert.match(owned, /MEMBER-ID\s+CLIENT-ID\s+HOST\s+PARTITIONS/);
      assert.match(owned, new RegExp(`${topic}:0,1`));

      await samsaFails(
        b(),
        ["group", "seek", group, "--topic", topic, "--to", "earliest"],
        1,
        /^samsa group seek: group .* has 1 active member\(s\) \(state Stable\).*stop its consumers/,
      );
      // A dry run still shows the plan, with a note.
      const dry = await samsaOk(b(), ["group", "seek", group, "--topic", topic, "--to", "earliest", "--dry-run"]);
      assert.match(dry.stdout, /dry run/);
      assert.match(dry.stderr, /has active members/);
      await samsaFails(b(), ["group", "delete", group], 1, /still has active members/);
      // Nothing moved: the member still has its offsets at the ends it committed.
      await waitFor(
        async () => {
          const d = await describeGroup(group);
          return d.totalLag === 0 && d.offsets.reduce((s, o) => s + (o.committedOffset ?? 0), 0) === 3
            ? true
            : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, what: "the member's commits" },
      );

      member.kill("SIGINT");
      assert.equal((await member.exit).code, 0, member.describe());
      await waitFor(async () => ((await describeGroup(group)).state === "Empty" ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: "the group to be empty",
      });
      await samsaOk(b(), ["group", "seek", group, "--topic", topic, "--to", "earliest"]);
      assert.equal((await describeGroup(group)).totalLag, 3);
      await samsaOk(b(), ["group", "delete", group]);
      assert.equal((await samsa(b(), ["group", "describe", group])).code, 4);
    } finally {
      member.kill("SIGKILL");
    }
  });
});
