// kcat (librdkafka): metadata listing, and producing with every compression codec (keys and
// headers) then consuming back exactly what was sent.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { uniqueName } from "@samsa/testkit";
import { assertProducerCompressed, codecs, runOk, useTarget, which } from "./support.ts";

const kcat = which("kcat") ?? which("kafkacat");
const skip = kcat === undefined ? "kcat is not installed (apt-get install kcat; .ci/run installs it)" : false;

describe("kcat (librdkafka)", { skip }, () => {
  const target = useTarget();
  const bin = kcat ?? "kcat";

  test("-L lists the broker and an auto-created topic", async () => {
    const topic = uniqueName("kcat-meta");
    // Producing one message auto-creates the topic (both targets allow auto-creation).
    await runOk(bin, ["-b", target().bootstrap, "-P", "-t", topic, "-p", "0"], { input: "hello\n", timeoutMs: 30_000 });
    const { stdout } = await runOk(bin, ["-b", target().bootstrap, "-L", "-J", "-t", topic], { timeoutMs: 30_000 });
    const metadata = JSON.parse(stdout) as {
      brokers: { id: number; name: string }[];
      topics: { topic: string; err?: string; partitions: { partition: number; leader: number }[] }[];
    };
    assert.equal(metadata.brokers.length, 1);
    const broker = metadata.brokers[0];
    assert.equal(broker?.name, target().bootstrap);
    const listed = metadata.topics.find((t) => t.topic === topic);
    assert.ok(listed, `topic ${topic} missing from ${stdout}`);
    assert.equal(listed.err, undefined);
    assert.deepEqual(
      listed.partitions.map((p) => [p.partition, p.leader]),
      [[0, broker.id]],
    );
  });

  for (const codec of codecs) {
    test(`produce with -z ${codec}, keys and headers; consume back exactly`, async () => {
      const topic = uniqueName(`kcat-${codec}`);
      const lines = [
        "k0:plain value",
        "k1:ünïcødé ✓ 🚀",
        ":empty key",
        "k3:",
        `k4:${"compressible ".repeat(2000)}`,
        ...Array.from({ length: 45 }, (_, i) => `key-${i + 5}:value-${i + 5}`),
      ];
      const headers: [string, string | null][] = [
        ["trace", "abc"],
        ["empty", ""],
        ["dup", "1"],
        ["dup", "2"],
        ["uni", "ü✓"],
        ["nul", null],
      ];
      const headerArgs = headers.flatMap(([k, v]) => ["-H", v === null ? k : `${k}=${v}`]);
      const before = Date.now();
      await runOk(
        bin,
        ["-b", target().bootstrap, "-P", "-t", topic, "-p", "0", "-z", codec, "-K", ":", ...headerArgs],
        {
          input: `${lines.join("\n")}\n`,
          timeoutMs: 30_000,
        },
      );
      const afterProduce = Date.now();

      const format = "%p\\t%o\\t%T\\t%K\\t%k\\t%S\\t%s\\t%h\\n";
      const { stdout } = await runOk(
        bin,
        ["-b", target().bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q", "-f", format],
        { timeoutMs: 30_000 },
      );
      const consumed = stdout.split("\n").filter((l) => l !== "");
      assert.equal(consumed.length, lines.length, `consumed:\n${stdout.slice(0, 2000)}`);
      consumed.forEach((line, i) => {
        const [partition, offset, timestamp, keyLength, key, valueLength, value, headerText] = line.split("\t");
        const sent = lines[i] ?? "";
        const sentKey = sent.slice(0, sent.indexOf(":"));
        const sentValue = sent.slice(sent.indexOf(":") + 1);
        assert.equal(partition, "0");
        assert.equal(offset, String(i));
        assert.equal(key, sentKey, `key of record ${i}`);
        assert.equal(keyLength, String(Buffer.byteLength(sentKey)), `key length of record ${i}`);
        assert.equal(value, sentValue, `value of record ${i}`);
        assert.equal(valueLength, String(Buffer.byteLength(sentValue)), `value length of record ${i}`);
        // kcat stamps CreateTime itself; it must come back as sent (within the produce window).
        const ts = Number(timestamp);
        assert.ok(
          ts >= before - 1000 && ts <= afterProduce + 1000,
          `timestamp ${ts} outside [${before}, ${afterProduce}]`,
        );
        assert.equal(headerText, headers.map(([k, v]) => `${k}=${v ?? "NULL"}`).join(","), `headers of record ${i}`);
      });

      await assertProducerCompressed(target().bootstrap, { topic, codec, count: lines.length, compressibleOffset: 4 });
    });
  }
});
