// `samsa cluster info` and `samsa bench` against the target (Samsa or Apache Kafka): the cluster's
// id, controller, brokers and counts agree with what was created; a small produce and consume
// benchmark completes with sane numbers and removes its temporary topic.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { uniqueName, waitFor } from "@samsa/testkit";
import { jsonLinesOf, samsaOk } from "./cli-support.ts";
import { targetKind, useTarget } from "./support.ts";

const target = useTarget();
const b = (): string => target().bootstrap;

interface ClusterInfo {
  clusterId: string;
  controller: number;
  brokers: { id: number; host: string; port: number; rack: string | null }[];
  topics: number;
  partitions: number;
  apiCount: number | null;
  finalizedFeatures: { name: string; level: number }[];
}

async function clusterInfo(): Promise<ClusterInfo> {
  return JSON.parse((await samsaOk(b(), ["cluster", "info", "-o", "json"])).stdout) as ClusterInfo;
}

/** Deletion completes in the background on Kafka: wait (bounded) until the topic is gone. */
async function waitGone(topic: string): Promise<void> {
  await waitFor(async () => (!(await topicNames()).includes(topic) ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 200,
    what: `the temporary topic ${topic} to be deleted`,
  });
}

async function topicNames(): Promise<string[]> {
  return jsonLinesOf<{ name: string }>((await samsaOk(b(), ["topic", "list", "-o", "json"])).stdout).map((t) => t.name);
}

describe("samsa cluster and bench", { timeout: 240_000 }, () => {
  test("cluster info: id, controller, the broker at the bootstrap address, topic and partition counts", async () => {
    const before = await clusterInfo();
    assert.ok(before.clusterId.length > 0, "a cluster id");
    assert.equal(before.brokers.length, 1);
    const [host, port] = [b().slice(0, b().lastIndexOf(":")), Number(b().slice(b().lastIndexOf(":") + 1))];
    assert.deepEqual(
      before.brokers.map((x) => [x.host, x.port]),
      [[host, port]],
    );
    assert.ok(
      before.brokers.some((x) => x.id === before.controller),
      "the controller is a listed broker",
    );
    assert.ok((before.apiCount ?? 0) >= 20, "ApiVersions answered");
    if (targetKind === "kafka")
      assert.ok(
        before.finalizedFeatures.some((f) => f.name === "metadata.version" && f.level > 0),
        "Kafka reports metadata.version",
      );

    const topic = uniqueName("cli-cluster");
    await samsaOk(b(), ["topic", "create", topic, "-p", "3"]);
    const after = await clusterInfo();
    assert.equal(after.clusterId, before.clusterId);
    // Other test files may create topics meanwhile; this one's are counted.
    assert.ok(after.topics >= 1 && after.partitions >= 3);
    const listed = await topicNames();
    assert.ok(listed.includes(topic));
    const text = (await samsaOk(b(), ["cluster", "info"])).stdout;
    assert.match(text, new RegExp(`Cluster ID\\s+${before.clusterId}`));
    assert.match(text, /ID\s+ADDRESS\s+RACK\s+ROLE/);
    assert.match(text, new RegExp(`${host}:${port}`));
    await samsaOk(b(), ["topic", "delete", topic]);
  });

  test("bench produce and consume: small runs complete with sane JSON and clean up", async () => {
    const produced = JSON.parse(
      (await samsaOk(b(), ["bench", "produce", "-n", "2000", "-s", "64", "--batch", "100", "-p", "2", "-o", "json"]))
        .stdout,
    ) as {
      mode: string;
      topic: string;
      temporaryTopic: boolean;
      records: number;
      bytes: number;
      elapsedMs: number;
      recordsPerSec: number;
      mibPerSec: number;
      latencyMs: { p50: number; p99: number; max: number; avg: number };
    };
    assert.equal(produced.mode, "produce");
    assert.equal(produced.temporaryTopic, true);
    assert.equal(produced.records, 2000);
    assert.equal(produced.bytes, 2000 * 64);
    assert.ok(produced.elapsedMs > 0 && produced.recordsPerSec > 0 && produced.mibPerSec > 0);
    const l = produced.latencyMs;
    assert.ok(l.p50 > 0 && l.p50 <= l.p99 && l.p99 <= l.max, JSON.stringify(l));
    await waitGone(produced.topic);

    const consumed = JSON.parse(
      (await samsaOk(b(), ["bench", "consume", "-n", "3000", "-s", "32", "-p", "3", "-o", "json"])).stdout,
    ) as { mode: string; topic: string; records: number; bytes: number; recordsPerSec: number; fetches: number };
    assert.equal(consumed.mode, "consume");
    assert.equal(consumed.records, 3000);
    assert.equal(consumed.bytes, 3000 * 32);
    assert.ok(consumed.recordsPerSec > 0 && consumed.fetches >= 1);
    await waitGone(consumed.topic);

    // An existing topic is read as it is, and kept.
    const topic = uniqueName("cli-bench");
    await samsaOk(b(), ["topic", "create", topic, "-p", "1"]);
    await samsaOk(b(), ["produce", topic], { input: "a\nbb\nccc\n" });
    const existing = JSON.parse((await samsaOk(b(), ["bench", "consume", "--topic", topic, "-o", "json"])).stdout) as {
      records: number;
      bytes: number;
      temporaryTopic: boolean;
    };
    assert.deepEqual([existing.records, existing.bytes, existing.temporaryTopic], [3, 6, false]);
    const text = (await samsaOk(b(), ["bench", "produce", "--topic", topic, "-n", "100"])).stdout;
    assert.match(text, /produced 100 records/);
    assert.match(text, /latency\s+p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms/);
    assert.ok((await topicNames()).includes(topic), "a given topic is kept");
    await samsaOk(b(), ["topic", "delete", topic]);
  });
});
