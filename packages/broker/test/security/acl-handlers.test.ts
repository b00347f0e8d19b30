// The ACL APIs and checks in an in-process broker with Kafka's StandardAuthorizer setting: invalid
// bindings, DeleteAcls returning what it removed, ACLs kept across a restart, SECURITY_DISABLED
// without an authorizer, and checks the interop matrix leaves out (configs, transactional ids,
// SCRAM credentials) for a PLAIN user on a SASL_PLAINTEXT listener.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { WireClient } from "@samsa/testkit";
import { createLogger, startBroker } from "../../src/index.ts";
import type { RunningBroker } from "../../src/index.ts";
import { Operation, PatternType, Permission, ResourceType } from "../../src/security/acl.ts";

const settings = {
  listeners: "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
  "sasl.enabled.mechanisms": "PLAIN",
  "listener.name.sasl_plaintext.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";`,
  "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
  "super.users": "User:ANONYMOUS",
  "samsa.log.durability": "os",
};

let dataDir: string;
let broker: RunningBroker;

async function start(extra: Record<string, string> = {}): Promise<RunningBroker> {
  return startBroker({
    dataDir,
    listen: "127.0.0.1:0",
    logger: createLogger({ level: "error", sink: () => undefined }),
    settings: { ...settings, ...extra },
  });
}

async function connect(listener: "PLAINTEXT" | "SASL_PLAINTEXT"): Promise<WireClient> {
  const client = await WireClient.connect(broker.listeners.get(listener) ?? "");
  if (listener === "SASL_PLAINTEXT") {
    assert.equal((await client.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" })).errorCode, 0);
    const auth = await client.send(ApiKey.SaslAuthenticate, 2, {
      authBytes: new TextEncoder().encode("\0alice\0alice-secret"),
    });
    assert.equal(auth.errorCode, 0);
  }
  return client;
}

const anyFilter = {
  resourceTypeFilter: ResourceType.ANY,
  resourceNameFilter: null,
  patternTypeFilter: PatternType.ANY,
  principalFilter: null,
  hostFilter: null,
  operation: Operation.ANY,
  permissionType: Permission.ANY,
};

function binding(resourceType: number, resourceName: string, operation: number) {
  return {
    resourceType,
    resourceName,
    resourcePatternType: PatternType.LITERAL,
    principal: "User:alice",
    host: "*",
    operation,
    permissionType: Permission.ALLOW,
  };
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "samsa-acl-"));
  broker = await start();
});

after(async () => {
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("ACL APIs and checks", () => {
  test("CreateAcls refuses invalid bindings alone; DeleteAcls returns what it removed; ACLs survive a restart", async () => {
    const admin = await connect("PLAINTEXT");
    try {
      const created = await admin.send(ApiKey.CreateAcls, 3, {
        creations: [
          binding(ResourceType.TOPIC, "kept", Operation.READ),
          { ...binding(ResourceType.CLUSTER, "not-the-cluster", Operation.ALTER) },
          { ...binding(ResourceType.TOPIC, "t", Operation.READ), resourcePatternType: PatternType.MATCH },
          binding(ResourceType.TOPIC, "removed", Operation.WRITE),
        ],
      });
      assert.deepEqual(
        created.results.map((r) => r.errorCode),
        [0, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, 0],
      );
      const deleted = await admin.send(ApiKey.DeleteAcls, 3, {
        filters: [
          { ...anyFilter, resourceNameFilter: "removed" },
          { ...anyFilter, resourceTypeFilter: ResourceType.UNKNOWN },
        ],
      });
      assert.deepEqual(
        deleted.filterResults.map((r) => [r.errorCode, r.matchingAcls.map((a) => [a.resourceName, a.operation])]),
        [
          [0, [["removed", Operation.WRITE]]],
          [ErrorCode.INVALID_REQUEST, []],
        ],
      );
    } finally {
      admin.close();
    }
    await broker.close();
    broker = await start();
    const again = await connect("PLAINTEXT");
    try {
      const described = await again.send(ApiKey.DescribeAcls, 3, anyFilter);
      assert.equal(described.errorCode, 0);
      assert.deepEqual(
        described.resources.map((r) => [r.resourceName, r.acls.map((a) => [a.principal, a.operation])]),
        [["kept", [["User:alice", Operation.READ]]]],
      );
    } finally {
      again.close();
    }
  });

  test("configs, transactional ids and SCRAM credentials are checked for a non-super user", async () => {
    const admin = await connect("PLAINTEXT");
    const alice = await connect("SASL_PLAINTEXT");
    try {
      const topic = `acl-configs-${process.pid}`;
      await admin.send(ApiKey.CreateTopics, 7, {
        topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      const describeConfigs = async () =>
        (
          await alice.send(ApiKey.DescribeConfigs, 4, {
            resources: [
              { resourceType: 2, resourceName: topic, configurationKeys: null },
              { resourceType: 4, resourceName: "0", configurationKeys: null },
            ],
            includeSynonyms: false,
            includeDocumentation: false,
          })
        ).results.map((r) => r.errorCode);
      assert.deepEqual(await describeConfigs(), [
        ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      ]);
      const initTxn = async () =>
        (
          await alice.send(ApiKey.InitProducerId, 4, {
            transactionalId: "alice-txn",
            transactionTimeoutMs: 60_000,
            producerId: -1n,
            producerEpoch: -1,
          })
        ).errorCode;
      assert.equal(await initTxn(), ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      const scram = await alice.send(ApiKey.DescribeUserScramCredentials, 0, { users: null });
      assert.equal(scram.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      assert.equal(
        (await alice.send(ApiKey.DescribeAcls, 3, anyFilter)).errorCode,
        ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      );
      const describeQuotas = async () =>
        (await alice.send(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false })).errorCode;
      assert.equal(await describeQuotas(), ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      const alterQuotas = await alice.send(ApiKey.AlterClientQuotas, 1, {
        entries: [
          {
            entity: [{ entityType: "user", entityName: "alice" }],
            ops: [{ key: "producer_byte_rate", value: 1024, remove: false }],
          },
        ],
        validateOnly: false,
      });
      assert.deepEqual(
        alterQuotas.entries.map((e) => e.errorCode),
        [ErrorCode.CLUSTER_AUTHORIZATION_FAILED],
      );

      const granted = await admin.send(ApiKey.CreateAcls, 3, {
        creations: [
          binding(ResourceType.TOPIC, topic, Operation.ALTER_CONFIGS),
          binding(ResourceType.CLUSTER, "kafka-cluster", Operation.DESCRIBE_CONFIGS),
          binding(ResourceType.TRANSACTIONAL_ID, "alice-txn", Operation.WRITE),
        ],
      });
      assert.deepEqual(
        granted.results.map((r) => r.errorCode),
        [0, 0, 0],
      );
      assert.deepEqual(await describeConfigs(), [0, 0], "ALTER_CONFIGS implies DESCRIBE_CONFIGS");
      assert.equal(await describeQuotas(), 0, "DESCRIBE_CONFIGS on the cluster lets quotas be described");
      assert.equal(await initTxn(), 0);
    } finally {
      admin.close();
      alice.close();
    }
  });

  test("Metadata answers in Kafka's order, each topic once; DescribeTransactions lists only describable topics", async () => {
    const admin = await connect("PLAINTEXT");
    const alice = await connect("SASL_PLAINTEXT");
    try {
      const [visible, hidden, missing] = ["visible", "hidden", "missing"].map((n) => `acl-md-${n}-${process.pid}`);
      for (const name of [visible, hidden]) {
        await admin.send(ApiKey.CreateTopics, 7, {
          topics: [{ name: name ?? "", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 5000,
          validateOnly: false,
        });
      }
      const txn = `acl-md-txn-${process.pid}`;
      const granted = await admin.send(ApiKey.CreateAcls, 3, {
        creations: [
          binding(ResourceType.TOPIC, visible ?? "", Operation.DESCRIBE),
          binding(ResourceType.TOPIC, missing ?? "", Operation.DESCRIBE),
          binding(ResourceType.TRANSACTIONAL_ID, txn, Operation.DESCRIBE),
        ],
      });
      assert.deepEqual(
        granted.results.map((r) => r.errorCode),
        [0, 0, 0],
      );
      // Refused DESCRIBE, refused CREATE (it does not exist), allowed, and a repeat.
      const metadata = await alice.send(ApiKey.Metadata, 12, {
        topics: [hidden, missing, visible, visible].map((name) => ({
          name: name ?? "",
          topicId: "00000000-0000-0000-0000-000000000000",
        })),
        allowAutoTopicCreation: true,
      });
      assert.deepEqual(
        metadata.topics.map((t) => [t.name, t.errorCode]),
        [
          [visible, 0],
          [missing, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
          [hidden, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
        ],
      );

      // A transaction over both topics, begun by the super user; alice may describe it and one topic.
      const init = await admin.send(ApiKey.InitProducerId, 4, {
        transactionalId: txn,
        transactionTimeoutMs: 60_000,
        producerId: -1n,
        producerEpoch: -1,
      });
      assert.equal(init.errorCode, 0);
      const added = await admin.send(ApiKey.AddPartitionsToTxn, 3, {
        transactions: [],
        v3AndBelowTransactionalId: txn,
        v3AndBelowProducerId: init.producerId,
        v3AndBelowProducerEpoch: init.producerEpoch,
        v3AndBelowTopics: [visible, hidden].map((name) => ({ name: name ?? "", partitions: [0] })),
      });
      assert.deepEqual(
        added.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode)),
        [0, 0],
      );
      const described = async (client: WireClient) =>
        (await client.send(ApiKey.DescribeTransactions, 0, { transactionalIds: [txn] })).transactionStates.map((t) => [
          t.errorCode,
          t.transactionState,
          t.topics.map((topic) => topic.topic).sort(),
        ]);
      assert.deepEqual(await described(admin), [[0, "Ongoing", [hidden, visible].sort()]]);
      assert.deepEqual(await described(alice), [[0, "Ongoing", [visible]]]);
    } finally {
      admin.close();
      alice.close();
    }
  });

  test("without an authorizer the ACL APIs answer SECURITY_DISABLED and nothing is refused", async () => {
    await broker.close();
    broker = await start({ "authorizer.class.name": "" });
    const alice = await connect("SASL_PLAINTEXT");
    try {
      assert.equal((await alice.send(ApiKey.DescribeAcls, 3, anyFilter)).errorCode, ErrorCode.SECURITY_DISABLED);
      const created = await alice.send(ApiKey.CreateAcls, 3, {
        creations: [binding(ResourceType.TOPIC, "x", Operation.READ)],
      });
      assert.deepEqual(
        created.results.map((r) => r.errorCode),
        [ErrorCode.SECURITY_DISABLED],
      );
      const scram = await alice.send(ApiKey.DescribeUserScramCredentials, 0, { users: null });
      assert.equal(scram.errorCode, 0);
    } finally {
      alice.close();
    }
  });
});
