// `samsa topic backup` / `samsa topic restore` against the target: a full round trip (backup →
// delete the topic → restore → consume equal: partitions, keys incl. binary and null, values incl.
// empty and tombstones, duplicate and null headers, timestamps, topic configs), restoring under
// another name with key partitioning, a point-in-time copy that ignores later writes (piped
// through stdout and stdin too), and a damaged file refused before anything is written.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { uniqueName, waitFor } from "@samsa/testkit";
import type { MessageToProduce } from "@platformatic/kafka";
import { jsonLinesOf, produceWithClient, samsa, samsaFails, samsaOk } from "./cli-support.ts";
import type { ConsumedRecord } from "./cli-support.ts";
import { useTarget } from "./support.ts";

const target = useTarget();
const b = (): string => target().bootstrap;

/** Records with everything a backup must carry: binary/empty/null keys and values, headers, times. */
function sampleMessages(topic: string, count: number, partitions: number): MessageToProduce[] {
  const base = Date.now() - 3 * 3_600_000;
  return Array.from({ length: count }, (_, i) => {
    const headers = new Map<Buffer, Buffer>();
    if (i % 3 === 1) headers.set(Buffer.from("trace"), Buffer.from(`t-${i}`));
    if (i % 4 === 2) {
      headers.set(Buffer.from("dup"), Buffer.from("one"));
      headers.set(Buffer.from("dup"), Buffer.from("two"));
    }
    if (i % 5 === 3) headers.set(Buffer.from("nul"), null as unknown as Buffer); // a null header value
    const key =
      i % 7 === 0 ? undefined : i % 7 === 1 ? Buffer.from([0, 255, i & 0xff, 10]) : Buffer.from(`key-${i % 13}-ключ`);
    const value =
      i % 11 === 4
        ? (null as unknown as Buffer) // a tombstone
        : i % 9 === 5
          ? Buffer.alloc(0)
          : Buffer.from(`value ${i} ✓ ${"x".repeat(i % 50)}`);
    return {
      topic,
      partition: i % partitions,
      ...(key === undefined ? {} : { key }),
      value,
      timestamp: BigInt(base + i * 997),
      ...(headers.size === 0 ? {} : { headers }),
    };
  });
}

type Comparable = Omit<ConsumedRecord, "offset" | "topic">;

async function consumeAll(topic: string): Promise<Comparable[]> {
  const records = jsonLinesOf<ConsumedRecord>(
    (await samsaOk(b(), ["consume", topic, "-o", "json", "-e", "base64"])).stdout,
  );
  return records
    .map(({ offset: _offset, topic: _topic, ...rest }) => rest)
    .sort((x, y) => x.partition - y.partition || x.timestamp - y.timestamp);
}

async function topicGone(topic: string): Promise<void> {
  await waitFor(async () => (await samsa(b(), ["topic", "describe", topic])).code === 4, {
    timeoutMs: 30_000,
    what: `${topic} to be deleted`,
  });
}

describe("samsa topic backup / restore", { timeout: 240_000 }, () => {
  test("backup → delete the topic → restore → consume equal, configs included", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "samsa-backup-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const topic = uniqueName("cli-backup");
    await samsaOk(b(), [
      "topic",
      "create",
      topic,
      "-p",
      "3",
      "-c",
      "retention.ms=86400000",
      "-c",
      "max.message.bytes=2000000",
    ]);
    await produceWithClient(b(), sampleMessages(topic, 600, 3));
    const before = await consumeAll(topic);
    assert.equal(before.length, 600);
    assert.ok(
      before.some((r) => r.value === null) && before.some((r) => r.key === null) && before.some((r) => r.value === ""),
    );
    assert.ok(
      before.some((r) => r.headers.filter((h) => h.key === "dup").length === 2),
      "duplicate headers kept",
    );
    assert.ok(
      before.some((r) => r.headers.some((h) => h.key === "nul" && h.value === null)),
      "null header values kept",
    );

    const file = join(dir, "backup.jsonl.gz");
    const backup = await samsaOk(b(), ["topic", "backup", topic, "-f", file]);
    assert.match(backup.stdout, new RegExp(`^backed up 600 records of ${topic} \\(3 partitions\\) to `));
    const lines = gunzipSync(readFileSync(file)).toString("utf8").trim().split("\n");
    const header = JSON.parse(lines[0] ?? "{}") as { format: string; version: number; configs: Record<string, string> };
    assert.equal(header.format, "samsa-topic-backup");
    assert.equal(header.version, 1);
    assert.deepEqual(header.configs, { "max.message.bytes": "2000000", "retention.ms": "86400000" });
    assert.deepEqual(JSON.parse(lines.at(-1) ?? "{}"), { end: true, records: 600 });

    await samsaOk(b(), ["topic", "delete", topic]);
    await topicGone(topic);
    const restored = await samsaOk(b(), ["topic", "restore", file]);
    assert.match(restored.stdout, new RegExp(`^restored 600 records into ${topic} in `));
    assert.deepEqual(await consumeAll(topic), before);
    const described = JSON.parse(
      (await samsaOk(b(), ["topic", "describe", topic, "-o", "json", "--non-default"])).stdout,
    ) as {
      partitions: unknown[];
      configs: { name: string; value: string; source: string }[];
    };
    assert.equal(described.partitions.length, 3);
    assert.deepEqual(
      described.configs.filter((c) => c.source === "topic").map((c) => [c.name, c.value]),
      [
        ["max.message.bytes", "2000000"],
        ["retention.ms", "86400000"],
      ],
    );

    // Into another topic with a different partition count, partitioned by key.
    const copy = uniqueName("cli-backup-copy");
    await samsaOk(b(), ["topic", "create", copy, "-p", "2"]);
    await samsaFails(b(), ["topic", "restore", file, "--topic", copy], 1, /has 2 partitions, the backup 3/);
    await samsaOk(b(), ["topic", "restore", file, "--topic", copy, "--partitioning", "key", "--no-configs"]);
    const copied = await consumeAll(copy);
    const strip = (rs: Comparable[]): string[] => rs.map((r) => JSON.stringify({ ...r, partition: 0 })).sort();
    assert.deepEqual(strip(copied), strip(before), "the same records, repartitioned");
    const byKey = new Map<string, Set<number>>();
    for (const r of copied) if (r.key !== null) byKey.set(r.key, (byKey.get(r.key) ?? new Set()).add(r.partition));
    assert.ok(
      [...byKey.values()].every((s) => s.size === 1),
      "one partition per key",
    );
  });

  test("a point-in-time copy from the log start: later writes are not in it; through stdout and stdin", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "samsa-backup-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const topic = uniqueName("cli-backup-pit");
    await samsaOk(b(), ["topic", "create", topic, "-p", "1"]);
    await samsaOk(b(), ["produce", topic], { input: "a\nb\nc\n" });
    const file = join(dir, "plain.jsonl");
    await samsaOk(b(), ["topic", "backup", topic, "--file", file]);
    await samsaOk(b(), ["produce", topic], { input: "d\n" });
    await samsaOk(b(), ["records", "delete", topic, "--before", "1"]);
    const restoredName = uniqueName("cli-backup-pit-restored");
    await samsaOk(b(), ["topic", "restore", file, "-t", restoredName]);
    assert.equal((await samsaOk(b(), ["consume", restoredName])).stdout, "a\nb\nc\n");
    // To stdout and back from stdin.
    const piped = await samsaOk(b(), ["topic", "backup", topic, "-f", "-"]);
    const header = JSON.parse(piped.stdout.split("\n")[0] ?? "{}") as { ranges: unknown };
    assert.deepEqual(header.ranges, [{ partition: 0, start: 1, end: 4 }], "from the log start to the end");
    const fromStdin = uniqueName("cli-backup-stdin");
    await samsaOk(b(), ["topic", "restore", "-", "--topic", fromStdin], { input: piped.stdout });
    assert.equal((await samsaOk(b(), ["consume", fromStdin])).stdout, "b\nc\nd\n");
  });

  test("a damaged or truncated file is refused (exit 5) before anything is written", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "samsa-backup-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const topic = uniqueName("cli-backup-bad");
    await samsaOk(b(), ["topic", "create", topic, "-p", "2"]);
    await samsaOk(b(), ["produce", topic], { input: Array.from({ length: 50 }, (_, i) => `r${i}`).join("\n") + "\n" });
    const file = join(dir, "good.jsonl");
    await samsaOk(b(), ["topic", "backup", topic, "-f", file]);
    const text = readFileSync(file, "utf8");
    const target = uniqueName("cli-backup-never");
    const truncated = join(dir, "truncated.jsonl");
    writeFileSync(truncated, text.slice(0, Math.floor(text.length * 0.6)));
    await samsaFails(b(), ["topic", "restore", truncated, "-t", target], 5, /invalid backup file, line \d+: /);
    const corrupt = join(dir, "corrupt.jsonl");
    writeFileSync(corrupt, text.replace(/"p":\d+/, '"p":7'));
    await samsaFails(b(), ["topic", "restore", corrupt, "-t", target], 5, /p \(partition\) must be an integer/);
    writeFileSync(join(dir, "x.jsonl"), "not a backup\n");
    await samsaFails(b(), ["topic", "restore", join(dir, "x.jsonl"), "-t", target], 5, /line 1/);
    assert.equal((await samsa(b(), ["topic", "describe", target])).code, 4, "no topic was created");
  });
});
