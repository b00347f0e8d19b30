// The admin APIs over the wire against an in-process broker: topics (create, delete, partitions),
// configs (describe, alter, incremental alter), records (DeleteRecords, OffsetForLeaderEpoch) and
// the cluster (DescribeCluster, DescribeLogDirs, DescribeTopicPartitions), each at an old and a
// new version, errors and validateOnly included.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKey, encodeRecordBatch, ErrorCode } from "@samsa/protocol";
import type { DescribeConfigsResponseResourceResult } from "@samsa/protocol";
import { uniqueName, WireClient } from "@samsa/testkit";
import { silentLogger, startBroker } from "../../src/index.ts";
import type { RunningBroker } from "../../src/index.ts";
import { topicConfigNames, topicConfigsWithoutEffect } from "../../src/storage/topic-config.ts";

const zeroUuid = "00000000-0000-0000-0000-000000000000";
const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, GROUP: 32 } as const;
const Source = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;
const Op = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

let broker: RunningBroker;
let client: WireClient;

before(async () => {
  broker = await startBroker({
    inMemory: true,
    listen: "127.0.0.1:0",
    logger: silentLogger,
    // A broker-level topic default, so describe shows a STATIC_BROKER_CONFIG synonym.
    settings: { "log.retention.ms": "86400000", "num.partitions": "2" },
  });
  client = await WireClient.connect(broker.bootstrap);
});

after(async () => {
  client.close();
  await broker.close();
});

async function createTopic(name: string, partitions = 1, configs: Record<string, string> = {}): Promise<string> {
  const response = await client.send(ApiKey.CreateTopics, 7, {
    topics: [
      {
        name,
        numPartitions: partitions,
        replicationFactor: 1,
        configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
      },
    ],
    timeoutMs: 5000,
  });
  const result = response.topics[0];
  assert.equal(result?.errorCode, 0, `create ${name}: ${result?.errorMessage}`);
  return result.topicId;
}

async function produce(topic: string, count: number, partition = 0): Promise<void> {
  const records = encodeRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({
      key: null,
      value: new TextEncoder().encode(`v${i}`),
      timestamp: BigInt(Date.now()),
    })),
  });
  const response = await client.send(ApiKey.Produce, 9, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  assert.equal(response.responses[0]?.partitionResponses[0]?.errorCode, 0);
}

async function describeTopicConfigs(
  topic: string,
  options: { version?: number; keys?: string[] | null; synonyms?: boolean; docs?: boolean } = {},
): Promise<Map<string, DescribeConfigsResponseResourceResult>> {
  const response = await client.send(ApiKey.DescribeConfigs, options.version ?? 4, {
    resources: [{ resourceType: ResourceType.TOPIC, resourceName: topic, configurationKeys: options.keys ?? null }],
    includeSynonyms: options.synonyms ?? false,
    includeDocumentation: options.docs ?? false,
  });
  const result = response.results[0];
  assert.equal(result?.errorCode, 0, result?.errorMessage ?? "");
  return new Map(result.configs.map((c) => [c.name, c]));
}

describe("CreateTopics", () => {
  test("v7 creates with defaults and configs, and answers id, counts and configs with sources", async () => {
    const name = uniqueName("create");
    const response = await client.send(ApiKey.CreateTopics, 7, {
      topics: [
        {
          name,
          numPartitions: -1,
          replicationFactor: -1,
          configs: [{ name: "cleanup.policy", value: "compact" }],
        },
      ],
      timeoutMs: 5000,
    });
    const result = response.topics[0];
    assert.equal(result?.errorCode, 0);
    assert.equal(result.numPartitions, 2, "num.partitions");
    assert.equal(result.replicationFactor, 1);
    assert.notEqual(result.topicId, zeroUuid);
    assert.equal(broker.logs.topic(name)?.topicId, result.topicId);
    const configs = new Map((result.configs ?? []).map((c) => [c.name, c]));
    assert.equal(configs.size, topicConfigNames.length);
    assert.deepEqual(
      { ...configs.get("cleanup.policy") },
      {
        name: "cleanup.policy",
        value: "compact",
        readOnly: false,
        configSource: Source.DYNAMIC_TOPIC_CONFIG,
        isSensitive: false,
      },
    );
    assert.equal(configs.get("retention.ms")?.configSource, Source.STATIC_BROKER_CONFIG);
    assert.equal(configs.get("retention.ms")?.value, "86400000");
    assert.equal(configs.get("segment.bytes")?.configSource, Source.DEFAULT_CONFIG);
  });

  test("v2 (the oldest Kafka 4 serves) creates; v0 is not served", async () => {
    const name = uniqueName("create-v2");
    const response = await client.send(ApiKey.CreateTopics, 2, {
      topics: [{ name, numPartitions: 3, replicationFactor: 1 }],
      timeoutMs: 5000,
    });
    assert.deepEqual(
      response.topics.map((t) => [t.name, t.errorCode, t.errorMessage]),
      [[name, 0, null]],
    );
    assert.equal(broker.logs.topic(name)?.partitions, 3);
    const versions = await client.send(ApiKey.ApiVersions, 3, {
      clientSoftwareName: "test",
      clientSoftwareVersion: "1",
    });
    const served = versions.apiKeys.find((k) => k.apiKey === ApiKey.CreateTopics);
    assert.deepEqual([served?.minVersion, served?.maxVersion], [2, 7]);
  });

  test("per-topic errors, in Kafka's words", async () => {
    const existing = uniqueName("exists");
    await createTopic(existing);
    const ok = uniqueName("ok");
    const duplicate = uniqueName("dup");
    const response = await client.send(ApiKey.CreateTopics, 5, {
      topics: [
        { name: existing, numPartitions: 1, replicationFactor: 1 },
        { name: "bad/name", numPartitions: 1, replicationFactor: 1 },
        { name: uniqueName("rf"), numPartitions: 1, replicationFactor: 3 },
        { name: uniqueName("rf0"), numPartitions: 1, replicationFactor: 0 },
        { name: uniqueName("parts"), numPartitions: 0, replicationFactor: 1 },
        {
          name: uniqueName("cfg"),
          numPartitions: 1,
          replicationFactor: 1,
          configs: [{ name: "retention.ms", value: "soon" }],
        },
        {
          name: uniqueName("unknown-cfg"),
          numPartitions: 1,
          replicationFactor: 1,
          configs: [{ name: "no.such", value: "1" }],
        },
        {
          name: uniqueName("null-cfg"),
          numPartitions: 1,
          replicationFactor: 1,
          configs: [{ name: "retention.ms", value: null }],
        },
        // Removed from Kafka 4: refused as unknown, as Kafka 4 does.
        {
          name: uniqueName("removed"),
          numPartitions: 1,
          replicationFactor: 1,
          configs: [{ name: "message.format.version", value: "3.0" }],
        },
        { name: duplicate, numPartitions: 1, replicationFactor: 1 },
        { name: ok, numPartitions: 1, replicationFactor: 1 },
        { name: duplicate, numPartitions: 2, replicationFactor: 1 },
      ],
      timeoutMs: 5000,
    });
    const codes = response.topics.map((t) => t.errorCode);
    assert.deepEqual(codes, [
      ErrorCode.TOPIC_ALREADY_EXISTS,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      ErrorCode.INVALID_REPLICATION_FACTOR,
      ErrorCode.INVALID_REPLICATION_FACTOR,
      ErrorCode.INVALID_PARTITIONS,
      ErrorCode.INVALID_CONFIG,
      ErrorCode.INVALID_CONFIG,
      ErrorCode.INVALID_CONFIG,
      ErrorCode.INVALID_CONFIG,
      0,
      ErrorCode.INVALID_REQUEST,
    ]);
    assert.equal(response.topics[0]?.errorMessage, `Topic '${existing}' already exists.`);
    assert.match(
      response.topics[2]?.errorMessage ?? "",
      /replication factor of 3 cannot be reached because only 1 broker/,
    );
    assert.match(response.topics[5]?.errorMessage ?? "", /Invalid value soon for configuration retention\.ms/);
    assert.match(response.topics[6]?.errorMessage ?? "", /Unknown topic config name: no\.such/);
    assert.equal(response.topics.at(-1)?.name, duplicate);
    assert.equal(response.topics.at(-1)?.errorMessage, "Duplicate topic name.");
    assert.equal(response.topics[0]?.numPartitions, -1);
    assert.equal(broker.logs.topic(duplicate), undefined, "a duplicated name is created by neither entry");
    assert.ok(broker.logs.topic(ok));
  });

  test("manual assignments: only this node, once per partition, consecutive", async () => {
    const name = uniqueName("assigned");
    const response = await client.send(ApiKey.CreateTopics, 7, {
      topics: [
        {
          name,
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [
            { partitionIndex: 1, brokerIds: [0] },
            { partitionIndex: 0, brokerIds: [0] },
          ],
        },
        {
          name: uniqueName("a1"),
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [1] }],
        },
        {
          name: uniqueName("a2"),
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [0, 0] }],
        },
        {
          name: uniqueName("a3"),
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 1, brokerIds: [0] }],
        },
        {
          name: uniqueName("a4"),
          numPartitions: 2,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [0] }],
        },
        {
          name: uniqueName("a5"),
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [] }],
        },
      ],
      timeoutMs: 5000,
    });
    assert.deepEqual(
      response.topics.map((t) => t.errorCode),
      [
        0,
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        ErrorCode.INVALID_REQUEST,
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ],
    );
    assert.equal(response.topics[0]?.numPartitions, 2);
    assert.equal(broker.logs.topic(name)?.partitions, 2);
  });

  test("validateOnly answers as if created, but creates nothing", async () => {
    const name = uniqueName("validate");
    const response = await client.send(ApiKey.CreateTopics, 7, {
      topics: [{ name, numPartitions: 4, replicationFactor: 1, configs: [{ name: "retention.ms", value: "1000" }] }],
      timeoutMs: 5000,
      validateOnly: true,
    });
    const result = response.topics[0];
    assert.equal(result?.errorCode, 0);
    assert.equal(result.numPartitions, 4);
    assert.equal(result.configs?.find((c) => c.name === "retention.ms")?.value, "1000");
    assert.equal(broker.logs.topic(name), undefined);
    const invalid = await client.send(ApiKey.CreateTopics, 3, {
      topics: [{ name, numPartitions: 1, replicationFactor: 2 }],
      timeoutMs: 5000,
      validateOnly: true,
    });
    assert.equal(invalid.topics[0]?.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
  });

  test("names differing only in '.' and '_' collide; Kafka's metadata topic is prohibited", async () => {
    const base = uniqueName("col");
    await createTopic(`${base}.x`);
    const response = await client.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: `${base}_x`, numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 5000,
    });
    assert.equal(response.topics[0]?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.match(response.topics[0]?.errorMessage ?? "", /collides with existing topic/);
    const internal = await client.send(ApiKey.CreateTopics, 4, {
      topics: [{ name: "__cluster_metadata", numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 5000,
    });
    assert.equal(internal.topics[0]?.errorCode, ErrorCode.INVALID_REQUEST);
  });
});

describe("DeleteTopics", () => {
  test("v6 deletes by name and by id; unknown names and ids are errors", async () => {
    const byName = uniqueName("del-name");
    const byId = uniqueName("del-id");
    await createTopic(byName);
    const id = await createTopic(byId);
    const unknownId = "0f0e0d0c-0b0a-4908-8706-050403020100";
    const response = await client.send(ApiKey.DeleteTopics, 6, {
      topics: [
        { name: byName, topicId: zeroUuid },
        { name: null, topicId: id },
        { name: "no-such-topic-here", topicId: zeroUuid },
        { name: null, topicId: unknownId },
        { name: null, topicId: zeroUuid },
        { name: byName, topicId: id },
      ],
      timeoutMs: 5000,
    });
    const by = (name: string | null, topicId: string): number | undefined =>
      response.responses.find((r) => r.name === name && r.topicId === topicId)?.errorCode;
    assert.equal(by(null, zeroUuid), ErrorCode.INVALID_REQUEST, "neither name nor id");
    assert.equal(by(byName, id), ErrorCode.INVALID_REQUEST, "both name and id");
    assert.equal(by(null, unknownId), ErrorCode.UNKNOWN_TOPIC_ID);
    assert.equal(by("no-such-topic-here", zeroUuid), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(by(byId, id), 0, "deleted by id, answered with its name");
    assert.equal(response.responses.filter((r) => r.name === byName && r.errorCode === 0).length, 1);
    assert.equal(broker.logs.topic(byName), undefined);
    assert.equal(broker.logs.topic(byId), undefined);
  });

  test("v1 deletes by name; a duplicated name is refused", async () => {
    const name = uniqueName("del-v1");
    const twice = uniqueName("del-twice");
    await createTopic(name);
    await createTopic(twice);
    const response = await client.send(ApiKey.DeleteTopics, 1, {
      topicNames: [name, twice, twice, "missing-topic-v1"],
      timeoutMs: 5000,
    });
    const codes = Object.fromEntries(response.responses.map((r) => [r.name ?? "", r.errorCode]));
    assert.deepEqual(codes, {
      [name]: 0,
      [twice]: ErrorCode.INVALID_REQUEST,
      "missing-topic-v1": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    });
    assert.equal(broker.logs.topic(name), undefined);
    assert.ok(broker.logs.topic(twice));
  });
});

describe("CreatePartitions", () => {
  test("v3 raises the count; validateOnly and errors leave it alone", async () => {
    const name = uniqueName("parts");
    const validated = uniqueName("parts-validate");
    await createTopic(name, 1);
    await createTopic(validated, 1);
    const response = await client.send(ApiKey.CreatePartitions, 3, {
      topics: [
        { name, count: 3, assignments: [{ brokerIds: [0] }, { brokerIds: [0] }] },
        { name: "missing-topic-parts", count: 2, assignments: null },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.deepEqual(
      response.results.map((r) => r.errorCode),
      [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    );
    assert.equal(broker.logs.topic(name)?.partitions, 3);
    const checks = await client.send(ApiKey.CreatePartitions, 3, {
      topics: [
        { name, count: 3, assignments: null },
        { name: validated, count: 5, assignments: null },
      ],
      timeoutMs: 5000,
      validateOnly: true,
    });
    assert.equal(checks.results[0]?.errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(checks.results[0]?.errorMessage, "Topic already has 3 partition(s).");
    assert.equal(checks.results[1]?.errorCode, 0);
    assert.equal(broker.logs.topic(validated)?.partitions, 1, "validateOnly creates nothing");
  });

  test("v0: lower counts, wrong assignments and duplicate names are refused", async () => {
    const name = uniqueName("parts-v0");
    await createTopic(name, 2);
    const response = await client.send(ApiKey.CreatePartitions, 0, {
      topics: [{ name, count: 1, assignments: null }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.equal(response.results[0]?.errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.match(response.results[0]?.errorMessage ?? "", /would not be an increase/);
    const assignments = await client.send(ApiKey.CreatePartitions, 1, {
      topics: [{ name, count: 4, assignments: [{ brokerIds: [0] }] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.equal(assignments.results[0]?.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    const otherBroker = await client.send(ApiKey.CreatePartitions, 1, {
      topics: [{ name, count: 3, assignments: [{ brokerIds: [7] }] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.equal(otherBroker.results[0]?.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    const duplicated = await client.send(ApiKey.CreatePartitions, 2, {
      topics: [
        { name, count: 3, assignments: null },
        { name, count: 4, assignments: null },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.deepEqual(
      duplicated.results.map((r) => [r.name, r.errorCode]),
      [[name, ErrorCode.INVALID_REQUEST]],
    );
    assert.equal(broker.logs.topic(name)?.partitions, 2);
  });
});

describe("configs", () => {
  test("create with configs → describe (sources, synonyms, types, docs) → incremental alter → describe", async () => {
    const name = uniqueName("cfg-roundtrip");
    await createTopic(name, 1, { "retention.ms": "5000", "min.insync.replicas": "2", "compression.type": "zstd" });
    let configs = await describeTopicConfigs(name, { synonyms: true, docs: true });
    assert.equal(configs.size, topicConfigNames.length);
    const retention = configs.get("retention.ms");
    assert.equal(retention?.value, "5000");
    assert.equal(retention?.configSource, Source.DYNAMIC_TOPIC_CONFIG);
    assert.equal(retention?.configType, 5, "LONG");
    assert.equal(retention?.readOnly, false);
    assert.deepEqual(
      retention?.synonyms.map((s) => ({ ...s })),
      [
        { name: "retention.ms", value: "5000", source: Source.DYNAMIC_TOPIC_CONFIG },
        { name: "log.retention.ms", value: "86400000", source: Source.STATIC_BROKER_CONFIG },
        { name: "log.retention.ms", value: "604800000", source: Source.DEFAULT_CONFIG },
      ],
    );
    assert.ok((retention?.documentation ?? "").length > 10);
    const segment = configs.get("segment.bytes");
    assert.equal(segment?.configSource, Source.DEFAULT_CONFIG);
    assert.deepEqual(
      segment?.synonyms.map((s) => ({ ...s })),
      [{ name: "log.segment.bytes", value: "1073741824", source: Source.DEFAULT_CONFIG }],
    );
    assert.equal(configs.get("cleanup.policy")?.configType, 7, "LIST");
    assert.equal(configs.get("min.cleanable.dirty.ratio")?.configType, 6, "DOUBLE");
    // No-effect settings are stored and described all the same.
    assert.equal(configs.get("min.insync.replicas")?.value, "2");
    assert.equal(configs.get("compression.type")?.value, "zstd");
    assert.deepEqual(configs.get("leader.replication.throttled.replicas")?.synonyms, [], "no broker synonym");

    const altered = await client.send(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [
        {
          resourceType: ResourceType.TOPIC,
          resourceName: name,
          configs: [
            { name: "retention.ms", configOperation: Op.DELETE, value: null },
            { name: "cleanup.policy", configOperation: Op.APPEND, value: "compact" },
            { name: "segment.ms", configOperation: Op.SET, value: "60000" },
          ],
        },
      ],
      validateOnly: false,
    });
    assert.equal(altered.responses[0]?.errorCode, 0, altered.responses[0]?.errorMessage ?? "");
    configs = await describeTopicConfigs(name, { version: 1, keys: ["retention.ms", "cleanup.policy", "segment.ms"] });
    assert.deepEqual([...configs.keys()].sort(), ["cleanup.policy", "retention.ms", "segment.ms"]);
    assert.equal(configs.get("retention.ms")?.value, "86400000");
    assert.equal(configs.get("retention.ms")?.configSource, Source.STATIC_BROKER_CONFIG);
    assert.equal(configs.get("cleanup.policy")?.value, "delete,compact", "appended to the inherited value");
    assert.equal(configs.get("segment.ms")?.value, "60000");
    assert.deepEqual(broker.logs.topic(name)?.configs, {
      "min.insync.replicas": "2",
      "compression.type": "zstd",
      "cleanup.policy": "delete,compact",
      "segment.ms": "60000",
    });
    assert.equal(broker.logs.log(name, 0)?.config.segmentMs, 60_000, "the change reaches the log");

    const subtracted = await client.send(ApiKey.IncrementalAlterConfigs, 0, {
      resources: [
        {
          resourceType: ResourceType.TOPIC,
          resourceName: name,
          configs: [{ name: "cleanup.policy", configOperation: Op.SUBTRACT, value: "delete" }],
        },
      ],
      validateOnly: false,
    });
    assert.equal(subtracted.responses[0]?.errorCode, 0);
    assert.equal(broker.logs.topic(name)?.configs["cleanup.policy"], "compact");
    assert.deepEqual(broker.logs.log(name, 0)?.config.cleanupPolicy, { delete: false, compact: true });
  });

  test("IncrementalAlterConfigs errors and validateOnly", async () => {
    const name = uniqueName("cfg-inc");
    await createTopic(name);
    const response = await client.send(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [
        {
          resourceType: ResourceType.TOPIC,
          resourceName: name,
          configs: [{ name: "retention.ms", configOperation: Op.APPEND, value: "1" }],
        },
        {
          resourceType: ResourceType.TOPIC,
          resourceName: "missing-topic-inc",
          configs: [{ name: "retention.ms", configOperation: Op.SET, value: "1" }],
        },
        {
          resourceType: ResourceType.BROKER,
          resourceName: "0",
          configs: [{ name: "num.partitions", configOperation: Op.SET, value: "3" }],
        },
        {
          resourceType: ResourceType.BROKER,
          resourceName: "",
          configs: [{ name: "log.retention.ms", configOperation: Op.DELETE, value: null }],
        },
        {
          resourceType: ResourceType.BROKER_LOGGER,
          resourceName: "0",
          configs: [{ name: "root", configOperation: Op.SET, value: "DEBUG" }],
        },
        { resourceType: ResourceType.GROUP, resourceName: "g", configs: [] },
      ],
      validateOnly: false,
    });
    assert.deepEqual(
      response.responses.map((r) => r.errorCode),
      [
        ErrorCode.INVALID_CONFIG,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.INVALID_REQUEST,
        0,
        ErrorCode.INVALID_REQUEST,
        ErrorCode.INVALID_REQUEST,
      ],
    );
    assert.match(response.responses[0]?.errorMessage ?? "", /because its type is not LIST/);
    assert.match(response.responses[2]?.errorMessage ?? "", /Cannot update these configs dynamically: num\.partitions/);

    const validated = await client.send(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [
        {
          resourceType: ResourceType.TOPIC,
          resourceName: name,
          configs: [{ name: "retention.ms", configOperation: Op.SET, value: "1234" }],
        },
      ],
      validateOnly: true,
    });
    assert.equal(validated.responses[0]?.errorCode, 0);
    assert.deepEqual(broker.logs.topic(name)?.configs, {}, "validateOnly changes nothing");
    const invalid = await client.send(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [
        {
          resourceType: ResourceType.TOPIC,
          resourceName: name,
          configs: [
            { name: "min.compaction.lag.ms", configOperation: Op.SET, value: "100" },
            { name: "max.compaction.lag.ms", configOperation: Op.SET, value: "10" },
          ],
        },
        {
          resourceType: ResourceType.TOPIC,
          resourceName: name,
          configs: [],
        },
      ],
      validateOnly: true,
    });
    assert.deepEqual(
      invalid.responses.map((r) => r.errorCode),
      [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST],
      "a resource given twice is refused both times",
    );
    const conflict = await client.send(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [
        {
          resourceType: ResourceType.TOPIC,
          resourceName: name,
          configs: [
            { name: "min.compaction.lag.ms", configOperation: Op.SET, value: "100" },
            { name: "max.compaction.lag.ms", configOperation: Op.SET, value: "10" },
          ],
        },
      ],
      validateOnly: true,
    });
    assert.equal(conflict.responses[0]?.errorCode, ErrorCode.INVALID_CONFIG);
  });

  test("AlterConfigs replaces the whole set; BROKER changes are refused; validateOnly", async () => {
    const name = uniqueName("cfg-legacy");
    await createTopic(name, 1, { "retention.ms": "5000", "segment.ms": "70000" });
    const response = await client.send(ApiKey.AlterConfigs, 2, {
      resources: [
        {
          resourceType: ResourceType.TOPIC,
          resourceName: name,
          configs: [{ name: "retention.bytes", value: "1048576" }],
        },
        { resourceType: ResourceType.BROKER, resourceName: "0", configs: [{ name: "log.retention.ms", value: "1" }] },
        { resourceType: ResourceType.BROKER, resourceName: "5", configs: [] },
        { resourceType: ResourceType.BROKER, resourceName: "", configs: [] },
        { resourceType: ResourceType.BROKER_LOGGER, resourceName: "0", configs: [] },
      ],
      validateOnly: false,
    });
    assert.deepEqual(
      response.responses.map((r) => r.errorCode),
      [0, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, 0, ErrorCode.INVALID_REQUEST],
    );
    assert.deepEqual(broker.logs.topic(name)?.configs, { "retention.bytes": "1048576" });
    assert.equal(broker.logs.log(name, 0)?.config.retentionMs, 86_400_000, "back to the broker default");

    const old = await client.send(ApiKey.AlterConfigs, 0, {
      resources: [
        { resourceType: ResourceType.TOPIC, resourceName: name, configs: [{ name: "retention.ms", value: "-5" }] },
        { resourceType: ResourceType.TOPIC, resourceName: "", configs: [] },
        { resourceType: ResourceType.TOPIC, resourceName: "missing-topic-legacy", configs: [] },
      ],
      validateOnly: false,
    });
    assert.deepEqual(
      old.responses.map((r) => r.errorCode),
      [ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    );
    const validated = await client.send(ApiKey.AlterConfigs, 1, {
      resources: [{ resourceType: ResourceType.TOPIC, resourceName: name, configs: [] }],
      validateOnly: true,
    });
    assert.equal(validated.responses[0]?.errorCode, 0);
    assert.deepEqual(
      broker.logs.topic(name)?.configs,
      { "retention.bytes": "1048576" },
      "validateOnly changes nothing",
    );
  });

  test("DescribeConfigs of the broker, the cluster default, the logger, and errors", async () => {
    const response = await client.send(ApiKey.DescribeConfigs, 4, {
      resources: [
        { resourceType: ResourceType.BROKER, resourceName: "0", configurationKeys: null },
        { resourceType: ResourceType.BROKER, resourceName: "", configurationKeys: null },
        { resourceType: ResourceType.BROKER, resourceName: "3", configurationKeys: null },
        { resourceType: ResourceType.BROKER, resourceName: "zero", configurationKeys: null },
        { resourceType: ResourceType.BROKER_LOGGER, resourceName: "0", configurationKeys: null },
        { resourceType: ResourceType.BROKER_LOGGER, resourceName: "", configurationKeys: null },
        { resourceType: ResourceType.TOPIC, resourceName: "missing-topic-describe", configurationKeys: null },
        { resourceType: ResourceType.TOPIC, resourceName: "bad/name", configurationKeys: null },
        { resourceType: ResourceType.GROUP, resourceName: "g", configurationKeys: null },
      ],
      includeSynonyms: true,
      includeDocumentation: true,
    });
    assert.deepEqual(
      response.results.map((r) => r.errorCode),
      [
        0,
        0,
        ErrorCode.INVALID_REQUEST,
        ErrorCode.INVALID_REQUEST,
        0,
        ErrorCode.INVALID_REQUEST,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        ErrorCode.INVALID_REQUEST,
      ],
    );
    const brokerConfigs = new Map((response.results[0]?.configs ?? []).map((c) => [c.name, c]));
    const retention = brokerConfigs.get("log.retention.ms");
    assert.equal(retention?.value, "86400000");
    assert.equal(retention?.configSource, Source.STATIC_BROKER_CONFIG);
    assert.equal(retention?.readOnly, true);
    assert.deepEqual(
      retention?.synonyms.map((s) => s.source),
      [Source.STATIC_BROKER_CONFIG, Source.DEFAULT_CONFIG],
    );
    assert.equal(brokerConfigs.get("num.partitions")?.value, "2");
    assert.equal(brokerConfigs.get("node.id")?.configSource, Source.DEFAULT_CONFIG);
    assert.equal(brokerConfigs.get("auto.create.topics.enable")?.configType, 1, "BOOLEAN");
    assert.deepEqual(response.results[1]?.configs, [], "no dynamic cluster-wide defaults");
    assert.deepEqual(
      response.results[4]?.configs.map((c) => [c.name, c.value]),
      [["root", "INFO"]],
    );

    const v1 = await client.send(ApiKey.DescribeConfigs, 1, {
      resources: [
        { resourceType: ResourceType.BROKER, resourceName: "0", configurationKeys: ["num.partitions", "nope"] },
      ],
      includeSynonyms: false,
    });
    assert.deepEqual(
      v1.results[0]?.configs.map((c) => [c.name, c.value, c.synonyms.length]),
      [["num.partitions", "2", 0]],
    );
  });

  test("every Kafka 4 topic config is accepted and described; no-effect ones are listed", async () => {
    const name = uniqueName("cfg-all");
    const values: Record<string, string> = {
      "compression.gzip.level": "5",
      "compression.lz4.level": "10",
      "compression.zstd.level": "-5",
      "errors.deadletterqueue.group.enable": "true",
      "file.delete.delay.ms": "1000",
      "flush.messages": "100",
      "flush.ms": "1000",
      "follower.replication.throttled.replicas": "0:0",
      "leader.replication.throttled.replicas": "*",
      "local.retention.bytes": "-2",
      "local.retention.ms": "-2",
      "max.compaction.lag.ms": "100000",
      preallocate: "true",
      "remote.copy.lag.bytes": "-1",
      "remote.copy.lag.ms": "0",
      "remote.log.copy.disable": "false",
      "remote.log.delete.on.disable": "false",
      "remote.storage.enable": "false",
      "segment.index.bytes": "4096",
      "segment.jitter.ms": "10",
      "unclean.leader.election.enable": "TRUE",
    };
    assert.deepEqual(
      [...topicConfigsWithoutEffect].sort(),
      [...Object.keys(values), "compression.type", "min.insync.replicas"].sort(),
      "the no-effect list",
    );
    await createTopic(name, 1, { ...values, "compression.type": "lz4", "min.insync.replicas": "1" });
    const configs = await describeTopicConfigs(name);
    for (const [key, value] of Object.entries(values)) {
      assert.equal(configs.get(key)?.value, value === "TRUE" ? "true" : value, key);
      assert.equal(configs.get(key)?.configSource, Source.DYNAMIC_TOPIC_CONFIG, key);
    }
    const refused = await client.send(ApiKey.CreateTopics, 7, {
      topics: [
        {
          name: uniqueName("tiered"),
          numPartitions: 1,
          replicationFactor: 1,
          configs: [{ name: "remote.storage.enable", value: "true" }],
        },
        {
          name: uniqueName("gzip"),
          numPartitions: 1,
          replicationFactor: 1,
          configs: [{ name: "compression.gzip.level", value: "0" }],
        },
        {
          name: uniqueName("codec"),
          numPartitions: 1,
          replicationFactor: 1,
          configs: [{ name: "compression.type", value: "brotli" }],
        },
      ],
      timeoutMs: 5000,
    });
    assert.deepEqual(
      refused.topics.map((t) => t.errorCode),
      [ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG],
    );
  });
});

describe("DeleteRecords", () => {
  test("v2: up to an offset, up to the high watermark (-1), and errors", async () => {
    const name = uniqueName("delrec");
    await createTopic(name, 2);
    await produce(name, 10);
    const response = await client.send(ApiKey.DeleteRecords, 2, {
      topics: [
        {
          name,
          partitions: [
            { partitionIndex: 0, offset: 4n },
            { partitionIndex: 1, offset: 1n },
            { partitionIndex: 7, offset: 0n },
          ],
        },
        { name: "missing-topic-delrec", partitions: [{ partitionIndex: 0, offset: 0n }] },
      ],
      timeoutMs: 5000,
    });
    assert.deepEqual(
      response.topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.lowWatermark, p.errorCode])),
      [
        [
          [0, 4n, 0],
          [1, -1n, ErrorCode.OFFSET_OUT_OF_RANGE],
          [7, -1n, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ],
        [[0, -1n, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
      ],
    );
    assert.equal(broker.logs.log(name, 0)?.logStartOffset, 4);
    const all = await client.send(ApiKey.DeleteRecords, 0, {
      topics: [{ name, partitions: [{ partitionIndex: 0, offset: -1n }] }],
      timeoutMs: 5000,
    });
    assert.deepEqual(
      all.topics[0]?.partitions.map((p) => [p.lowWatermark, p.errorCode]),
      [[10n, 0]],
    );
  });

  test("a compacted topic refuses it (POLICY_VIOLATION)", async () => {
    const name = uniqueName("delrec-compact");
    await createTopic(name, 1, { "cleanup.policy": "compact" });
    const response = await client.send(ApiKey.DeleteRecords, 1, {
      topics: [{ name, partitions: [{ partitionIndex: 0, offset: 0n }] }],
      timeoutMs: 5000,
    });
    assert.equal(response.topics[0]?.partitions[0]?.errorCode, ErrorCode.POLICY_VIOLATION);
  });
});

describe("OffsetForLeaderEpoch", () => {
  test("v4: epoch 0 ends at the log end offset; later epochs are undefined; epoch checks", async () => {
    const name = uniqueName("epoch");
    await createTopic(name);
    await produce(name, 3);
    const response = await client.send(ApiKey.OffsetForLeaderEpoch, 4, {
      replicaId: -1,
      topics: [
        {
          topic: name,
          partitions: [
            { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
            { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 5 },
            { partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 },
            { partition: 3, currentLeaderEpoch: -1, leaderEpoch: 0 },
          ],
        },
      ],
    });
    assert.deepEqual(
      response.topics[0]?.partitions.map((p) => [p.errorCode, p.leaderEpoch, p.endOffset]),
      [
        [0, 0, 3n],
        [0, -1, -1n],
        [ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1n],
        [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n],
      ],
    );
  });

  test("v2: a fenced epoch and an unknown topic", async () => {
    const name = uniqueName("epoch-v2");
    await createTopic(name);
    const response = await client.send(ApiKey.OffsetForLeaderEpoch, 2, {
      topics: [
        { topic: name, partitions: [{ partition: 0, currentLeaderEpoch: -3, leaderEpoch: 0 }] },
        { topic: "missing-topic-epoch", partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
      ],
    });
    assert.equal(response.topics[0]?.partitions[0]?.errorCode, ErrorCode.FENCED_LEADER_EPOCH);
    assert.equal(response.topics[1]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe("cluster", () => {
  test("DescribeCluster v0 and v1", async () => {
    const v0 = await client.send(ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: false });
    assert.equal(v0.errorCode, 0);
    assert.equal(v0.clusterId, broker.clusterId);
    assert.equal(v0.controllerId, 0);
    assert.deepEqual(
      v0.brokers.map((b) => ({ ...b })),
      [{ brokerId: 0, host: "127.0.0.1", port: broker.port, rack: null }],
    );
    assert.equal(v0.clusterAuthorizedOperations, -2147483648);
    const v1 = await client.send(ApiKey.DescribeCluster, 1, {
      includeClusterAuthorizedOperations: true,
      endpointType: 1,
    });
    assert.equal(v1.endpointType, 1);
    assert.ok(v1.clusterAuthorizedOperations > 0);
    const controller = await client.send(ApiKey.DescribeCluster, 1, {
      includeClusterAuthorizedOperations: false,
      endpointType: 2,
    });
    assert.equal(controller.errorCode, ErrorCode.MISMATCHED_ENDPOINT_TYPE);
  });

  test("DescribeLogDirs v4 (all, then some) and v1", async () => {
    const name = uniqueName("logdirs");
    await createTopic(name, 2);
    await produce(name, 5);
    const all = await client.send(ApiKey.DescribeLogDirs, 4, { topics: null });
    const dir = all.results[0];
    assert.equal(dir?.errorCode, 0);
    assert.equal(dir.logDir, broker.logs.dataDir);
    assert.deepEqual([dir.totalBytes, dir.usableBytes], [-1n, -1n], "in memory: no filesystem");
    const ours = dir.topics.find((t) => t.name === name);
    assert.deepEqual(
      ours?.partitions.map((p) => [p.partitionIndex, p.partitionSize > 0n, p.offsetLag, p.isFutureKey]),
      [
        [0, true, 0n, false],
        [1, false, 0n, false],
      ],
    );
    const some = await client.send(ApiKey.DescribeLogDirs, 1, {
      topics: [
        { topic: name, partitions: [1, 9] },
        { topic: "missing-topic-logdirs", partitions: [0] },
      ],
    });
    assert.deepEqual(
      some.results[0]?.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
      [[name, [1]]],
    );
  });

  test("DescribeLogDirs on files reports the directory's filesystem", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "samsa-logdirs-"));
    const onDisk = await startBroker({ dataDir, listen: "127.0.0.1:0", logger: silentLogger });
    const diskClient = await WireClient.connect(onDisk.bootstrap);
    try {
      const response = await diskClient.send(ApiKey.DescribeLogDirs, 4, { topics: [] });
      const dir = response.results[0];
      assert.equal(dir?.logDir, dataDir);
      assert.deepEqual(dir.topics, [], "an empty list asks for no partitions");
      assert.ok(dir.totalBytes > 0n && dir.usableBytes >= 0n && dir.usableBytes <= dir.totalBytes);
    } finally {
      diskClient.close();
      await onDisk.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("DescribeTopicPartitions pages by cursor and partition limit", async () => {
    const prefix = uniqueName("dtp");
    const a = `${prefix}-a`;
    const b = `${prefix}-b`;
    const aId = await createTopic(a, 3);
    await createTopic(b, 2);
    const first = await client.send(ApiKey.DescribeTopicPartitions, 0, {
      topics: [{ name: b }, { name: a }, { name: `${prefix}-missing` }],
      responsePartitionLimit: 2,
    });
    assert.deepEqual(
      first.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]),
      [[a, 0, [0, 1]]],
    );
    assert.equal(first.topics[0]?.topicId, aId);
    const partition = first.topics[0]?.partitions[0];
    assert.deepEqual(
      [partition?.leaderId, partition?.leaderEpoch, partition?.replicaNodes, partition?.isrNodes],
      [0, 0, [0], [0]],
    );
    assert.deepEqual(
      [partition?.eligibleLeaderReplicas, partition?.lastKnownElr, partition?.offlineReplicas],
      [[], [], []],
    );
    assert.deepEqual({ ...first.nextCursor }, { topicName: a, partitionIndex: 2 });

    const second = await client.send(ApiKey.DescribeTopicPartitions, 0, {
      topics: [{ name: b }, { name: a }, { name: `${prefix}-missing` }],
      responsePartitionLimit: 3,
      cursor: { topicName: a, partitionIndex: 2 },
    });
    assert.deepEqual(
      second.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]),
      [
        [a, 0, [2]],
        [b, 0, [0, 1]],
      ],
    );
    // The limit is used up exactly: as in Kafka, the next page starts at the next topic.
    assert.deepEqual({ ...second.nextCursor }, { topicName: `${prefix}-missing`, partitionIndex: 0 });
    const third = await client.send(ApiKey.DescribeTopicPartitions, 0, {
      topics: [{ name: b }, { name: a }, { name: `${prefix}-missing` }],
      cursor: { topicName: `${prefix}-missing`, partitionIndex: 0 },
    });
    assert.deepEqual(
      third.topics.map((t) => [t.name, t.errorCode, t.topicId]),
      [[`${prefix}-missing`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, zeroUuid]],
    );
    assert.equal(third.nextCursor, null);

    const all = await client.send(ApiKey.DescribeTopicPartitions, 0, {
      topics: [],
      cursor: { topicName: b, partitionIndex: 1 },
    });
    assert.equal(all.topics[0]?.name, b);
    assert.deepEqual(
      all.topics[0]?.partitions.map((p) => p.partitionIndex),
      [1],
    );
    assert.ok(all.topics.every((t) => t.name !== null && t.name >= b));

    const badCursor = await client.send(ApiKey.DescribeTopicPartitions, 0, {
      topics: [{ name: a }],
      cursor: { topicName: b, partitionIndex: 0 },
    });
    assert.deepEqual(
      badCursor.topics.map((t) => [t.name, t.errorCode]),
      [[a, ErrorCode.INVALID_REQUEST]],
    );
  });
});
