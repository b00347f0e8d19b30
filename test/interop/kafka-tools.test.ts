// Apache Kafka's own CLI tools (the Java client) via scripts/kafka.sh tool: kafka-topics,
// kafka-configs, the console producer and consumer, kafka-get-offsets and the perf tests.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { uniqueName, waitFor } from "@samsa/testkit";
import {
  assertProducerCompressed,
  codecs,
  consumerGroupsMissing,
  kafkaToolOk,
  kafkaToolsMissing,
  useTarget,
} from "./support.ts";

const skip = kafkaToolsMissing() ?? false;

/** `name=value` pairs from kafka-configs --describe output ("... configs for topic T are a=1,b=2" or one per line). */
function describedConfigs(stdout: string): Map<string, string> {
  const configs = new Map<string, string>();
  for (const match of stdout.matchAll(/^\s*([a-z][a-z0-9._-]*)=(\S*)/gm)) {
    if (match[1] !== undefined) configs.set(match[1], match[2] ?? "");
  }
  return configs;
}

describe("Apache Kafka CLI tools (Java client)", { skip }, () => {
  const target = useTarget();
  const bootstrap = (): string[] => ["--bootstrap-server", target().bootstrap];

  test("kafka-topics --create, --list, --describe, --delete", async () => {
    const topic = uniqueName("tools-topics");
    await kafkaToolOk("topics", [
      ...bootstrap(),
      "--create",
      "--topic",
      topic,
      "--partitions",
      "3",
      "--replication-factor",
      "1",
      "--config",
      "retention.ms=3600000",
    ]);
    const listed = await kafkaToolOk("topics", [...bootstrap(), "--list"]);
    assert.ok(listed.stdout.split("\n").includes(topic), `--list lacks ${topic}:\n${listed.stdout}`);

    const described = await kafkaToolOk("topics", [...bootstrap(), "--describe", "--topic", topic]);
    assert.match(
      described.stdout,
      new RegExp(`Topic: ${topic}\\s+TopicId: \\S+\\s+PartitionCount: 3\\s+ReplicationFactor: 1`),
    );
    assert.match(described.stdout, /Configs: .*retention\.ms=3600000/);
    for (const p of [0, 1, 2]) {
      assert.match(
        described.stdout,
        new RegExp(`Topic: ${topic}\\s+Partition: ${p}\\s+Leader: \\d+\\s+Replicas: \\d+\\s+Isr: \\d+`),
      );
    }

    await kafkaToolOk("topics", [...bootstrap(), "--delete", "--topic", topic]);
    await waitFor(
      async () => !(await kafkaToolOk("topics", [...bootstrap(), "--list"])).stdout.split("\n").includes(topic),
      { timeoutMs: 30_000, intervalMs: 200, what: `${topic} to disappear from kafka-topics --list` },
    );
  });

  test("kafka-configs --describe and --alter (add and delete) a topic's configs", async () => {
    const topic = uniqueName("tools-configs");
    await kafkaToolOk("topics", [
      ...bootstrap(),
      "--create",
      "--topic",
      topic,
      "--partitions",
      "1",
      "--config",
      "retention.ms=3600000",
    ]);
    const entity = ["--entity-type", "topics", "--entity-name", topic];

    const before = describedConfigs((await kafkaToolOk("configs", [...bootstrap(), "--describe", ...entity])).stdout);
    assert.equal(before.get("retention.ms"), "3600000");

    await kafkaToolOk("configs", [
      ...bootstrap(),
      "--alter",
      ...entity,
      "--add-config",
      "retention.ms=7200000,max.message.bytes=2000000",
    ]);
    const altered = describedConfigs((await kafkaToolOk("configs", [...bootstrap(), "--describe", ...entity])).stdout);
    assert.equal(altered.get("retention.ms"), "7200000");
    assert.equal(altered.get("max.message.bytes"), "2000000");

    await kafkaToolOk("configs", [...bootstrap(), "--alter", ...entity, "--delete-config", "max.message.bytes"]);
    const deleted = describedConfigs((await kafkaToolOk("configs", [...bootstrap(), "--describe", ...entity])).stdout);
    assert.equal(deleted.get("retention.ms"), "7200000");
    assert.equal(deleted.has("max.message.bytes"), false, "max.message.bytes is no longer a topic override");

    // --all shows defaults too: the deleted override falls back to the broker default.
    const all = describedConfigs(
      (await kafkaToolOk("configs", [...bootstrap(), "--describe", "--all", ...entity])).stdout,
    );
    assert.equal(all.get("retention.ms"), "7200000");
    assert.ok(all.has("max.message.bytes") && all.get("max.message.bytes") !== "2000000");
    assert.ok(all.has("cleanup.policy"), "--all lists cleanup.policy");
  });

  for (const codec of codecs) {
    test(`kafka-console-producer (keys, headers, ${codec}) then kafka-console-consumer without a group`, async () => {
      const topic = uniqueName(`tools-console-${codec}`);
      const messages = [
        { headers: "trace:abc,empty:,dup:1,dup:2", key: "k-0", value: "plain value" },
        { headers: "uni:ü✓", key: "ключ-1", value: "ünïcødé ✓ 🚀" },
        { headers: "trace:def", key: "k-2", value: `compressible ${"abcdefghij".repeat(3000)}` },
        ...Array.from({ length: 20 }, (_, i) => ({ headers: `n:${i}`, key: `k-${i + 3}`, value: `value ${i + 3}` })),
      ];
      const input = messages.map((m) => `${m.headers}\t${m.key}\t${m.value}\n`).join("");
      const started = Date.now();
      await kafkaToolOk(
        "console-producer",
        [
          ...bootstrap(),
          "--topic",
          topic,
          "--compression-codec",
          codec,
          "--reader-property",
          "parse.key=true",
          "--reader-property",
          "parse.headers=true",
        ],
        { input },
      );
      const produced = Date.now();

      const consumed = await kafkaToolOk("console-consumer", [
        ...bootstrap(),
        "--topic",
        topic,
        "--partition",
        "0",
        "--offset",
        "earliest",
        "--max-messages",
        String(messages.length),
        "--timeout-ms",
        "30000",
        ...["print.key", "print.headers", "print.timestamp", "print.partition", "print.offset"].flatMap((p) => [
          "--formatter-property",
          `${p}=true`,
        ]),
      ]);
      const lines = consumed.stdout.split("\n").filter((l) => l !== "");
      assert.equal(lines.length, messages.length, `console-consumer printed:\n${consumed.stdout.slice(0, 3000)}`);
      lines.forEach((line, i) => {
        const [timestamp, partition, offset, headers, key, value] = line.split("\t");
        const sent = messages[i];
        assert.match(timestamp ?? "", /^CreateTime:\d+$/);
        const ts = Number(timestamp?.slice("CreateTime:".length));
        assert.ok(ts >= started - 1000 && ts <= produced + 1000, `timestamp ${ts} outside the produce window`);
        assert.equal(partition, "Partition:0");
        assert.equal(offset, `Offset:${i}`);
        assert.equal(headers, sent?.headers);
        assert.equal(key, sent?.key);
        assert.equal(value, sent?.value);
      });
      await assertProducerCompressed(target().bootstrap, {
        topic,
        codec,
        count: messages.length,
        compressibleOffset: 2,
      });
    });
  }

  test("kafka-get-offsets (latest and earliest)", async () => {
    const topic = uniqueName("tools-offsets");
    await kafkaToolOk("console-producer", [...bootstrap(), "--topic", topic], { input: "a\nb\nc\n" });
    const latest = await kafkaToolOk("get-offsets", [...bootstrap(), "--topic", topic]);
    assert.equal(latest.stdout.trim(), `${topic}:0:3`);
    const earliest = await kafkaToolOk("get-offsets", [...bootstrap(), "--topic", topic, "--time", "-2"]);
    assert.equal(earliest.stdout.trim(), `${topic}:0:0`);
  });

  test("kafka-producer-perf-test (20k records) then kafka-consumer-perf-test", async (t) => {
    const topic = uniqueName("tools-perf");
    const records = 20_000;
    const perf = await kafkaToolOk("producer-perf-test", [
      ...bootstrap(),
      "--topic",
      topic,
      "--num-records",
      String(records),
      "--record-size",
      "100",
      "--throughput",
      "-1",
      "--producer-props",
      "acks=all",
      "linger.ms=5",
      "compression.type=lz4",
    ]);
    assert.match(perf.stdout, new RegExp(`^${records} records sent, `, "m"));
    const offsets = await kafkaToolOk("get-offsets", [...bootstrap(), "--topic", topic]);
    assert.equal(offsets.stdout.trim(), `${topic}:0:${records}`);

    // kafka-consumer-perf-test always subscribes with a group: it needs a group coordinator.
    const pending = await consumerGroupsMissing(target().bootstrap);
    if (pending !== undefined) {
      t.skip(`kafka-consumer-perf-test: ${pending}`);
      return;
    }
    const consumed = await kafkaToolOk("consumer-perf-test", [
      ...bootstrap(),
      "--topic",
      topic,
      "--num-records",
      String(records),
      "--timeout",
      "30000",
      "--hide-header",
    ]);
    // Columns: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
    const row = consumed.stdout.trim().split("\n").pop()?.split(",") ?? [];
    assert.equal(row[4]?.trim(), String(records), `consumer-perf-test printed:\n${consumed.stdout}`);
  });
});
