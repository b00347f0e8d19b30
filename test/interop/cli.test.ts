// The `samsa` CLI against the target (Samsa or Apache Kafka, from SAMSA_TEST_TARGET): topic
// administration, produce (keys, headers, partitions, every codec), consume (positions, counts,
// formats, JSON lines, follow mode with Ctrl-C, groups, read_committed), records delete, and the
// documented exit codes. Records are checked through an independent read path where it matters.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Producer } from "@platformatic/kafka";
import { partitionForKey } from "@samsa/streams";
import { uniqueName, waitFor } from "@samsa/testkit";
import { jsonLinesOf, nodeBin, produceWithClient, samsa, samsaBin, samsaFails, samsaOk } from "./cli-support.ts";
import type { ConsumedRecord } from "./cli-support.ts";
import { codecs, fetchRecords, spawnWatched, useTarget } from "./support.ts";

const target = useTarget();
const b = (): string => target().bootstrap;

interface DescribedTopic {
  name: string;
  partitions: {
    partition: number;
    leader: number;
    logStartOffset: number;
    highWatermark: number;
    sizeBytes?: number;
  }[];
  configs: { name: string; value: string | null; source: string }[];
}

describe("samsa CLI", { timeout: 240_000 }, () => {
  test("topic create, list, describe, alter-config, add-partitions, delete", async () => {
    const topic = uniqueName("cli-topic");
    await samsaOk(b(), ["topic", "create", topic, "-p", "2", "-r", "1", "-c", "retention.ms=3600000"]);
    await samsaFails(
      b(),
      ["topic", "create", topic, "-p", "2"],
      1,
      /^samsa topic create: creating topic .*TOPIC_ALREADY_EXISTS/,
    );
    await samsaOk(b(), ["topic", "create", topic, "--if-not-exists"]);

    const listed = jsonLinesOf<{ name: string; partitions: number; replicas: number }>(
      (await samsaOk(b(), ["topic", "list", "-o", "json"])).stdout,
    );
    assert.deepEqual(
      listed.find((t) => t.name === topic),
      { name: topic, partitions: 2, replicas: 1 },
    );
    const table = (await samsaOk(b(), ["topic", "list"])).stdout;
    assert.match(table, /^NAME\s+PARTITIONS\s+REPLICAS\n/);
    assert.match(table, new RegExp(`\\n${topic}\\s+2\\s+1\\n`));

    await samsaOk(b(), ["produce", topic, "-p", "1"], { input: "one\ntwo\nthree\n" });
    const described = JSON.parse(
      (await samsaOk(b(), ["topic", "describe", topic, "-o", "json"])).stdout,
    ) as DescribedTopic;
    assert.equal(described.name, topic);
    assert.deepEqual(
      described.partitions.map((p) => [p.partition, p.logStartOffset, p.highWatermark]),
      [
        [0, 0, 0],
        [1, 0, 3],
      ],
    );
    assert.ok((described.partitions[1]?.sizeBytes ?? 0) > 0, "partition 1 has bytes on disk");
    const retention = described.configs.find((c) => c.name === "retention.ms");
    assert.deepEqual(retention, {
      name: "retention.ms",
      value: "3600000",
      source: "topic",
      readOnly: false,
      sensitive: false,
    });
    assert.equal(described.configs.find((c) => c.name === "cleanup.policy")?.source, "default");
    const text = (await samsaOk(b(), ["topic", "describe", topic])).stdout;
    assert.match(text, /PARTITION\s+LEADER\s+REPLICAS\s+ISR\s+LOG-START\s+HIGH-WATERMARK\s+SIZE/);
    assert.match(text, /retention\.ms\s+3600000\s+topic/);

    await samsaOk(b(), ["topic", "alter-config", topic, "--set", "cleanup.policy=compact", "--delete", "retention.ms"]);
    const altered = JSON.parse(
      (await samsaOk(b(), ["topic", "describe", topic, "-o", "json", "--non-default"])).stdout,
    ) as DescribedTopic;
    assert.deepEqual(
      // Only the topic's own configs (Kafka also reports broker-level ones as non-default).
      altered.configs.filter((c) => c.source === "topic").map((c) => [c.name, c.value, c.source]),
      [["cleanup.policy", "compact", "topic"]],
    );
    await samsaFails(b(), ["topic", "alter-config", topic, "--set", "retention.ms=soon"], 1, /INVALID_CONFIG|invalid/i);

    await samsaOk(b(), ["topic", "add-partitions", topic, "-n", "1"]);
    await samsaOk(b(), ["topic", "add-partitions", topic, "--to", "5"]);
    const grown = JSON.parse((await samsaOk(b(), ["topic", "describe", topic, "-o", "json"])).stdout) as DescribedTopic;
    assert.equal(grown.partitions.length, 5);
    await samsaFails(b(), ["topic", "add-partitions", topic, "--to", "3"], 2, /already has 5 partitions/);

    await samsaOk(b(), ["topic", "delete", topic]);
    await waitFor(async () => (await samsa(b(), ["topic", "describe", topic])).code === 4, {
      timeoutMs: 30_000,
      what: "the deleted topic to be gone",
    });
    await samsaFails(b(), ["topic", "delete", topic], 4, /does not exist/);
    await samsaOk(b(), ["topic", "delete", topic, "--if-exists"]);
  });

  test("exit codes: usage 2, not found 4, unreachable 3, bad input 5; --help everywhere exits 0", async () => {
    await samsaFails(b(), ["topic", "create"], 2, /^samsa topic create: missing TOPIC/);
    await samsaFails(b(), ["topic", "list", "--bogus"], 2, /bogus/);
    await samsaFails(b(), ["topic", "frob"], 2, /unknown command 'frob'/);
    await samsaFails(b(), ["consume", uniqueName("cli-missing")], 4, /does not exist/);
    await samsaFails(b(), ["produce", uniqueName("cli-missing")], 4, /does not exist/, { input: "x\n" });
    await samsaFails(b(), ["topic", "list", "-b", "127.0.0.1:1"], 3, /cannot reach the cluster/);
    await samsaFails(b(), ["topic", "restore", "/nonexistent/backup.jsonl"], 5, /cannot read/);
    for (const args of [
      ["--help"],
      ["topic", "--help"],
      ["topic", "create", "--help"],
      ["produce", "-h"],
      ["consume", "--help"],
      ["records", "delete", "--help"],
      ["topic", "backup", "--help"],
    ]) {
      const result = await samsaOk(b(), args);
      assert.match(result.stdout, /^Usage: samsa/, `help for ${args.join(" ")}`);
    }
  });

  test("produce: keys, headers, fixed partition, every codec; records arrive as sent", async () => {
    const topic = uniqueName("cli-produce");
    await samsaOk(b(), ["topic", "create", topic, "-p", "3"]);
    for (const codec of codecs) {
      await samsaOk(
        b(),
        ["produce", topic, "-k", "\\t", "-H", `codec=${codec}`, "-H", "src=cli", "-p", "2", "-z", codec],
        {
          input: `k-${codec}\tv-${codec}\nno-key-${codec}\n\r\n`,
        },
      );
    }
    const records = await fetchRecords(b(), { topic, partition: 2, count: codecs.length * 3 });
    assert.deepEqual(
      records.map((r) => [
        r.key === null ? null : Buffer.from(r.key).toString(),
        Buffer.from(r.value ?? []).toString(),
        r.headers.map((h) => `${h.key}=${Buffer.from(h.value ?? []).toString()}`).join(","),
        r.batchCodec,
      ]),
      codecs.flatMap((codec) => [
        [`k-${codec}`, `v-${codec}`, `codec=${codec},src=cli`, codec],
        [null, `no-key-${codec}`, `codec=${codec},src=cli`, codec],
        [null, "", `codec=${codec},src=cli`, codec],
      ]),
    );
    // Keyed records go where Kafka's Java client puts them (murmur2 of the key).
    await samsaOk(b(), ["produce", topic, "-k", ":"], { input: "alpha:1\nbeta:2\ngamma:3\n" });
    const placed = jsonLinesOf<ConsumedRecord>((await samsaOk(b(), ["consume", topic, "-o", "json"])).stdout).filter(
      (r) => r.key !== null && !r.key.startsWith("k-"),
    );
    // The partitions Kafka's default partitioner gives these keys (@samsa/streams' murmur2 is checked against Kafka's).
    assert.deepEqual(
      Object.fromEntries(placed.map((r) => [r.key, r.partition])),
      Object.fromEntries(["alpha", "beta", "gamma"].map((k) => [k, partitionForKey(Buffer.from(k), 3)])),
    );
    await samsaFails(b(), ["produce", topic, "-p", "3"], 4, /has no partition 3/, { input: "x\n" });
    await samsaFails(b(), ["produce", topic, "-z", "brotli"], 2, /--compression must be one of/, { input: "x\n" });
  });

  test("consume: from beginning, offsets, times and durations; -n; templates and JSON lines; partitions", async () => {
    const topic = uniqueName("cli-consume");
    await samsaOk(b(), ["topic", "create", topic, "-p", "2"]);
    const base = Date.now() - 60 * 60_000;
    await produceWithClient(
      b(),
      Array.from({ length: 20 }, (_, i) => ({
        topic,
        partition: i % 2,
        key: Buffer.from(`k${i}`),
        value: Buffer.from(`v${i}`),
        timestamp: BigInt(base + i * 60_000),
        headers: new Map([[Buffer.from("i"), Buffer.from(String(i))]]),
      })),
    );
    const all = jsonLinesOf<ConsumedRecord>((await samsaOk(b(), ["consume", topic, "-o", "json"])).stdout);
    assert.equal(all.length, 20);
    assert.deepEqual(
      all.filter((r) => r.partition === 0).map((r) => [r.offset, r.key, r.value, r.timestamp, r.headers]),
      Array.from({ length: 10 }, (_, j) => [
        j,
        `k${2 * j}`,
        `v${2 * j}`,
        base + 2 * j * 60_000,
        [{ key: "i", value: String(2 * j) }],
      ]),
    );
    const fromOffset = (
      await samsaOk(b(), ["consume", topic, "--from", "7", "-p", "1", "-F", "{partition}/{offset}:{key}={value}\\n"])
    ).stdout;
    assert.equal(fromOffset, "1/7:k15=v15\n1/8:k17=v17\n1/9:k19=v19\n");
    // A time: exactly the records at or after it, in every partition.
    const at = new Date(base + 15 * 60_000).toISOString();
    const since = jsonLinesOf<ConsumedRecord>(
      (await samsaOk(b(), ["consume", topic, "--from", at, "-o", "json"])).stdout,
    );
    assert.deepEqual(since.map((r) => r.value).sort(), ["v15", "v16", "v17", "v18", "v19"]);
    const epoch = jsonLinesOf<ConsumedRecord>(
      (await samsaOk(b(), ["consume", topic, "--from", `@${base + 18 * 60_000}`, "-o", "json"])).stdout,
    );
    assert.deepEqual(epoch.map((r) => r.value).sort(), ["v18", "v19"]);
    // A duration ago: the last ~10 minutes hold records 10..19 (produced 1 h ago + i minutes).
    const recent = jsonLinesOf<ConsumedRecord>(
      (await samsaOk(b(), ["consume", topic, "--from", "50m", "-o", "json"])).stdout,
    );
    assert.ok(recent.every((r) => r.timestamp >= Date.now() - 51 * 60_000));
    assert.ok(recent.length >= 9 && recent.length <= 11, `about 10 records, got ${recent.length}`);
    const three = (await samsaOk(b(), ["consume", topic, "-n", "3", "-p", "0"])).stdout;
    assert.equal(three, "v0\nv2\nv4\n");
    const fromEnd = await samsaOk(b(), ["consume", topic, "--from", "end"]);
    assert.equal(fromEnd.stdout, "", "nothing after the end without --follow");
    const encoded = jsonLinesOf<ConsumedRecord>(
      (await samsaOk(b(), ["consume", topic, "-n", "1", "-p", "0", "-o", "json", "-e", "hex"])).stdout,
    );
    assert.equal(encoded[0]?.value, Buffer.from("v0").toString("hex"));
    await samsaFails(b(), ["consume", topic, "--from", "yesterday"], 2, /--from: cannot read "yesterday"/);
  });

  test("consume --follow prints new records as they come and stops cleanly on Ctrl-C", async () => {
    const topic = uniqueName("cli-follow");
    await samsaOk(b(), ["topic", "create", topic, "-p", "2"]);
    await samsaOk(b(), ["produce", topic], { input: "before\n" });
    const proc = spawnWatched(nodeBin, [samsaBin, "consume", topic, "--follow", "--from", "end", "-F", "{value}\\n"], {
      env: { SAMSA_BROKERS: b() },
      timeoutMs: 120_000,
    });
    try {
      // The consumer is at the end once the first produce after its start shows up; keep producing until it does.
      await waitFor(
        async () => {
          await samsaOk(b(), ["produce", topic, "-k", ":"], { input: "a:after\n" });
          return proc.lines.includes("after");
        },
        { timeoutMs: 30_000, intervalMs: 500, what: "the followed record" },
      );
      assert.ok(!proc.lines.includes("before"), "--from end skips what was there");
      proc.kill("SIGINT");
      const exit = await proc.exit;
      assert.equal(exit.code, 0, proc.describe());
    } finally {
      proc.kill("SIGKILL");
    }
  });

  test("consume --group starts at the committed offsets and commits what it printed", async () => {
    const topic = uniqueName("cli-group");
    const group = uniqueName("cli-group");
    await samsaOk(b(), ["topic", "create", topic, "-p", "2"]);
    await samsaOk(b(), ["produce", topic, "-k", ":"], {
      input: Array.from({ length: 10 }, (_, i) => `k${i}:${i}`).join("\n") + "\n",
    });
    const first = (await samsaOk(b(), ["consume", topic, "-g", group, "-n", "4"], { timeoutMs: 90_000 })).stdout
      .trim()
      .split("\n");
    assert.equal(first.length, 4);
    const rest = (await samsaOk(b(), ["consume", topic, "-g", group], { timeoutMs: 90_000 })).stdout.trim().split("\n");
    assert.deepEqual(
      [...first, ...rest].map(Number).sort((x, y) => x - y),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    const again = await samsaOk(b(), ["consume", topic, "-g", group], { timeoutMs: 90_000 });
    assert.equal(again.stdout, "", "everything was committed");
    await samsaFails(b(), ["consume", topic, "-g", group, "--from", "5"], 2, /committed offsets/);
  });

  test("consume --read-committed leaves out aborted transactions", async () => {
    const topic = uniqueName("cli-txn");
    await samsaOk(b(), ["topic", "create", topic, "-p", "1"]);
    const producer = new Producer({
      clientId: "cli-txn",
      bootstrapBrokers: [b()],
      idempotent: true,
      transactionalId: uniqueName("cli-txn"),
      autocreateTopics: false,
    });
    try {
      for (const [label, commit] of [
        ["committed-1", true],
        ["aborted", false],
        ["committed-2", true],
      ] as const) {
        const tx = await producer.beginTransaction();
        await tx.send({ messages: [{ topic, partition: 0, value: Buffer.from(label) }] });
        if (commit) await tx.commit();
        else await tx.abort();
      }
    } finally {
      await producer.close();
    }
    const committed = (await samsaOk(b(), ["consume", topic, "--read-committed"])).stdout;
    assert.equal(committed, "committed-1\naborted\ncommitted-2\n".replace("aborted\n", ""));
    const everything = (await samsaOk(b(), ["consume", topic])).stdout;
    assert.equal(everything, "committed-1\naborted\ncommitted-2\n");
  });

  test("records delete --before an offset and a time; --dry-run changes nothing", async () => {
    const topic = uniqueName("cli-delete");
    await samsaOk(b(), ["topic", "create", topic, "-p", "2"]);
    const base = Date.now() - 30 * 60_000;
    await produceWithClient(
      b(),
      Array.from({ length: 20 }, (_, i) => ({
        topic,
        partition: i % 2,
        value: Buffer.from(`v${i}`),
        timestamp: BigInt(base + i * 60_000),
      })),
    );
    const dry = jsonLinesOf<{ partition: number; logStart: number; deleted: number }>(
      (await samsaOk(b(), ["records", "delete", topic, "--before", "4", "--dry-run", "-o", "json"])).stdout,
    );
    assert.deepEqual(
      dry.map((r) => [r.partition, r.logStart, r.deleted]),
      [
        [0, 4, 4],
        [1, 4, 4],
      ],
    );
    assert.equal(
      (await samsaOk(b(), ["consume", topic, "-p", "0", "-n", "1"])).stdout,
      "v0\n",
      "nothing deleted by a dry run",
    );
    await samsaOk(b(), ["records", "delete", topic, "--before", "4", "-p", "0"]);
    assert.equal((await samsaOk(b(), ["consume", topic, "-p", "0", "-n", "1"])).stdout, "v8\n");
    assert.equal(
      (await samsaOk(b(), ["consume", topic, "-p", "1", "-n", "1"])).stdout,
      "v1\n",
      "partition 1 untouched",
    );
    // Before a time: records older than minute 13 are gone (partition 0: v14..., partition 1: v13...).
    await samsaOk(b(), ["records", "delete", topic, "--before", new Date(base + 13 * 60_000).toISOString()]);
    const left = (await samsaOk(b(), ["consume", topic, "-F", "{value} "])).stdout.trim().split(" ").sort();
    assert.deepEqual(left, ["v13", "v14", "v15", "v16", "v17", "v18", "v19"]);
    await samsaOk(b(), ["records", "delete", topic, "--before", "end"]);
    assert.equal((await samsaOk(b(), ["consume", topic])).stdout, "");
  });
});
