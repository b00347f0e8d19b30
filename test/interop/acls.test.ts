// Authorization with Kafka's ACL model, against Samsa and Apache Kafka alike: both run with
// Kafka's StandardAuthorizer setting, `super.users` naming an admin (and ANONYMOUS, the PLAINTEXT
// bootstrap and Kafka's controller listener) and PLAIN users on a SASL_PLAINTEXT listener.
// kafka-acls adds, lists (by exact pattern, by MATCH) and removes ACLs as the admin; a user
// without ALTER/DESCRIBE on the cluster is refused. Then a matrix of users × operations ×
// resources (literal and prefixed ACLs, a DENY) sent over the wire by alice and bob logged in with
// PLAIN: the same error codes on both brokers.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ApiKey, encodeRecordBatch, ErrorCode } from "@samsa/protocol";
import { uniqueName, waitFor, WireClient } from "@samsa/testkit";
import { kafkaTool, kafkaToolOk, kafkaToolsMissing, useTarget } from "./support.ts";

const users = { admin: "admin-secret", alice: "alice-secret", bob: "bob-secret" } as const;
type User = keyof typeof users;
const javaMissing = kafkaToolsMissing();

const saslSettings = {
  "sasl.enabled.mechanisms": "PLAIN",
  "listener.name.sasl_plaintext.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(
    users,
  )
    .map(([u, p]) => `user_${u}="${p}"`)
    .join(" ")};`,
  "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
  // ANONYMOUS: the PLAINTEXT bootstrap (used here to set up) and Kafka's controller listener.
  "super.users": "User:admin;User:ANONYMOUS",
};

describe("authorization: kafka-acls against the StandardAuthorizer", { skip: javaMissing ?? false }, () => {
  const target = useTarget({
    listeners: [{ name: "SASL_PLAINTEXT", securityProtocol: "SASL_PLAINTEXT" }],
    settings: saslSettings,
  });
  const sasl = (): string => target().listenerAddresses.get("SASL_PLAINTEXT") ?? "";
  const dir = mkdtempSync(join(tmpdir(), "samsa-acls-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const login = (user: User): string => {
    const path = join(dir, `${user}.properties`);
    writeFileSync(
      path,
      [
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanism=PLAIN",
        `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${user}" password="${users[user]}";`,
      ].join("\n") + "\n",
    );
    return path;
  };
  const acls = (user: User, args: readonly string[]) =>
    kafkaTool("acls", ["--bootstrap-server", sasl(), "--command-config", login(user), ...args]);
  const aclsOk = (user: User, args: readonly string[]) =>
    kafkaToolOk("acls", ["--bootstrap-server", sasl(), "--command-config", login(user), ...args]);
  const entry = (principal: string, operation: string, permission: string): RegExp =>
    new RegExp(`principal=${principal}, host=\\*, operation=${operation}, permissionType=${permission}`);

  test("kafka-acls --add, --list (exact and MATCH) and --remove as a super user; others are refused", async () => {
    const prefix = `${uniqueName("acl")}-`;
    const secret = `${prefix}secret`;
    await aclsOk("admin", [
      "--add",
      "--allow-principal",
      "User:alice",
      "--operation",
      "Read",
      "--operation",
      "Describe",
      "--topic",
      prefix,
      "--resource-pattern-type",
      "prefixed",
    ]);
    await aclsOk("admin", ["--add", "--deny-principal", "User:alice", "--operation", "Write", "--topic", secret]);

    const prefixed = await aclsOk("admin", ["--list", "--topic", prefix, "--resource-pattern-type", "prefixed"]);
    assert.match(prefixed.stdout, /patternType=PREFIXED/);
    assert.match(prefixed.stdout, entry("User:alice", "READ", "ALLOW"));
    assert.match(prefixed.stdout, entry("User:alice", "DESCRIBE", "ALLOW"));
    assert.doesNotMatch(prefixed.stdout, /DENY/);

    const matching = await aclsOk("admin", ["--list", "--topic", secret, "--resource-pattern-type", "match"]);
    assert.match(matching.stdout, entry("User:alice", "READ", "ALLOW"));
    assert.match(matching.stdout, entry("User:alice", "WRITE", "DENY"));

    const refused = await acls("alice", ["--list", "--topic", secret]);
    assert.match(refused.stdout + refused.stderr, /ClusterAuthorizationException|not authorized/i);
    const refusedAdd = await acls("bob", [
      "--add",
      "--allow-principal",
      "User:bob",
      "--operation",
      "All",
      "--topic",
      "*",
    ]);
    assert.match(refusedAdd.stdout + refusedAdd.stderr, /ClusterAuthorizationException|not authorized/i);

    await aclsOk("admin", ["--remove", "--force", "--topic", prefix, "--resource-pattern-type", "prefixed"]);
    const afterRemove = await aclsOk("admin", ["--list", "--topic", secret, "--resource-pattern-type", "match"]);
    assert.doesNotMatch(afterRemove.stdout, /operation=READ/);
    assert.match(afterRemove.stdout, entry("User:alice", "WRITE", "DENY"));
    await aclsOk("admin", ["--remove", "--force", "--topic", secret]);
    const none = await aclsOk("admin", ["--list", "--topic", secret, "--resource-pattern-type", "match"]);
    assert.doesNotMatch(none.stdout, /principal=/);
  });
});

const { TOPIC_AUTHORIZATION_FAILED: TOPIC_DENIED, GROUP_AUTHORIZATION_FAILED: GROUP_DENIED } = ErrorCode;
const CLUSTER_DENIED = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
// Kafka's wire codes (security/acl.ts).
const TOPIC = 2;
const GROUP = 3;
const LITERAL = 3;
const PREFIXED = 4;
const ALLOW = 3;
const DENY = 2;
const op = { READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, DESCRIBE: 8 } as const;

async function saslLogin(address: string, user: User): Promise<WireClient> {
  const client = await WireClient.connect(address, { clientId: `acl-${user}` });
  const handshake = await client.send(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
  assert.equal(handshake.errorCode, 0);
  const auth = await client.send(ApiKey.SaslAuthenticate, 2, {
    authBytes: new TextEncoder().encode(`\0${user}\0${users[user]}`),
  });
  assert.equal(auth.errorCode, 0, `${user} logs in`);
  return client;
}

describe("authorization: a user × operation × resource matrix over the wire", () => {
  const target = useTarget({
    listeners: [{ name: "SASL_PLAINTEXT", securityProtocol: "SASL_PLAINTEXT" }],
    settings: saslSettings,
  });

  test("produce, fetch, describe, create, list offsets, commit, delete group, admin APIs", async () => {
    const p = uniqueName("acm");
    const orders = `${p}-orders`;
    const secret = `${p}-ord-secret`;
    const group = `${p}-g`;
    const setup = await WireClient.connect(target().bootstrap, { clientId: "acl-setup" });
    const clients: WireClient[] = [setup];
    try {
      const created = await setup.send(ApiKey.CreateTopics, 7, {
        topics: [orders, secret].map((name) => ({
          name,
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [],
        })),
        timeoutMs: 30_000,
        validateOnly: false,
      });
      assert.deepEqual(
        created.topics.map((t) => t.errorCode),
        [0, 0],
      );
      const binding = (
        principal: string,
        resourceType: number,
        name: string,
        patternType: number,
        o: number,
        permission = ALLOW,
      ) => ({
        resourceType,
        resourceName: name,
        resourcePatternType: patternType,
        principal: `User:${principal}`,
        host: "*",
        operation: o,
        permissionType: permission,
      });
      const acls = await setup.send(ApiKey.CreateAcls, 3, {
        creations: [
          binding("alice", TOPIC, `${p}-ord`, PREFIXED, op.WRITE),
          binding("alice", TOPIC, orders, LITERAL, op.READ),
          binding("alice", TOPIC, secret, LITERAL, op.WRITE, DENY),
          binding("alice", GROUP, group, LITERAL, op.READ),
          binding("alice", TOPIC, `${p}-new`, PREFIXED, op.CREATE),
          binding("bob", TOPIC, orders, LITERAL, op.DESCRIBE),
          binding("bob", GROUP, `${p}-g`, PREFIXED, op.DELETE),
        ],
      });
      assert.deepEqual(
        acls.results.map((r) => r.errorCode),
        [0, 0, 0, 0, 0, 0, 0],
      );
      const alice = await saslLogin(target().listenerAddresses.get("SASL_PLAINTEXT") ?? "", "alice");
      clients.push(alice);
      const bob = await saslLogin(target().listenerAddresses.get("SASL_PLAINTEXT") ?? "", "bob");
      clients.push(bob);

      const findCoordinator = async (c: WireClient, key: string) =>
        (await c.send(ApiKey.FindCoordinator, 4, { key: "", keyType: 0, coordinatorKeys: [key] })).coordinators[0]
          ?.errorCode;
      // Kafka applies ACLs through its metadata log: wait for the last of them to take effect.
      await waitFor(async () => (await findCoordinator(bob, group)) === 0, {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: "the ACLs to take effect",
      });
      await waitFor(
        async () => {
          const m = await setup.send(ApiKey.Metadata, 12, {
            topics: [{ name: orders }, { name: secret }],
            allowAutoTopicCreation: false,
          });
          return m.topics.every((t) => t.errorCode === 0 && t.partitions.every((x) => x.leaderId >= 0));
        },
        { timeoutMs: 30_000, intervalMs: 100, what: "the topics to have leaders" },
      );

      const produce = async (c: WireClient, topic: string) => {
        const r = await c.send(ApiKey.Produce, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 10_000,
          topicData: [
            {
              name: topic,
              partitionData: [
                {
                  index: 0,
                  records: encodeRecordBatch({
                    records: [{ key: null, value: new TextEncoder().encode("v"), timestamp: BigInt(Date.now()) }],
                  }),
                },
              ],
            },
          ],
        });
        return r.responses[0]?.partitionResponses[0]?.errorCode;
      };
      assert.equal(await produce(alice, orders), 0, "alice writes orders (prefixed ALLOW WRITE)");
      assert.equal(await produce(bob, orders), TOPIC_DENIED, "bob may only describe orders");
      assert.equal(await produce(alice, secret), TOPIC_DENIED, "the literal DENY wins over the prefixed ALLOW");

      const fetch = async (c: WireClient, topic: string) => {
        const r = await c.send(ApiKey.Fetch, 12, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic,
              partitions: [
                {
                  partition: 0,
                  currentLeaderEpoch: -1,
                  fetchOffset: 0n,
                  lastFetchedEpoch: -1,
                  logStartOffset: -1n,
                  partitionMaxBytes: 1 << 20,
                },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: "",
        });
        return r.responses[0]?.partitions[0]?.errorCode;
      };
      assert.equal(await fetch(alice, orders), 0);
      assert.equal(await fetch(bob, orders), TOPIC_DENIED);
      assert.equal(await fetch(alice, secret), TOPIC_DENIED, "WRITE does not grant READ");

      const metadata = async (c: WireClient, names: string[] | null) =>
        (
          await c.send(ApiKey.Metadata, 12, {
            topics: names === null ? null : names.map((name) => ({ name })),
            allowAutoTopicCreation: true,
          })
        ).topics;
      const codes = async (c: WireClient, names: string[]): Promise<Record<string, number>> =>
        Object.fromEntries((await metadata(c, names)).map((t): [string, number] => [t.name ?? "", t.errorCode]));
      assert.deepEqual(await codes(alice, [orders, secret]), { [orders]: 0, [secret]: 0 }, "WRITE implies DESCRIBE");
      assert.deepEqual(await codes(bob, [orders, secret]), { [orders]: 0, [secret]: TOPIC_DENIED });
      assert.deepEqual(
        (await metadata(bob, null)).map((t) => t.name).filter((n) => n?.startsWith(p) === true),
        [orders],
        "listing all topics shows only the described ones",
      );
      // Auto-creation needs DESCRIBE and CREATE: alice may create ${p}-new… but not describe it.
      assert.deepEqual(await codes(alice, [`${p}-new-auto`]), { [`${p}-new-auto`]: TOPIC_DENIED });

      const createTopic = async (c: WireClient, name: string) =>
        (
          await c.send(ApiKey.CreateTopics, 7, {
            topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
            timeoutMs: 30_000,
            validateOnly: true,
          })
        ).topics[0];
      const made = await createTopic(alice, `${p}-new-1`);
      assert.deepEqual([made?.errorCode, made?.topicConfigErrorCode], [0, TOPIC_DENIED], "created, configs hidden");
      assert.equal((await createTopic(alice, `${p}-other`))?.errorCode, TOPIC_DENIED);
      assert.equal((await createTopic(bob, `${p}-new-2`))?.errorCode, TOPIC_DENIED);

      const listOffsets = async (c: WireClient, topic: string) =>
        (
          await c.send(ApiKey.ListOffsets, 7, {
            replicaId: -1,
            isolationLevel: 0,
            topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
          })
        ).topics[0]?.partitions[0]?.errorCode;
      assert.equal(await listOffsets(bob, orders), 0);
      assert.equal(await listOffsets(bob, secret), TOPIC_DENIED);

      assert.equal(await findCoordinator(alice, group), 0, "READ on the group implies DESCRIBE");
      assert.equal(await findCoordinator(bob, `${p}-h`), GROUP_DENIED);
      const commit = async (c: WireClient, g: string, topic: string) =>
        (
          await c.send(ApiKey.OffsetCommit, 8, {
            groupId: g,
            generationIdOrMemberEpoch: -1,
            memberId: "",
            groupInstanceId: null,
            retentionTimeMs: -1n,
            topics: [
              {
                name: topic,
                partitions: [
                  { partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: "" },
                ],
              },
            ],
          })
        ).topics[0]?.partitions[0]?.errorCode;
      assert.equal(await commit(bob, group, orders), GROUP_DENIED);
      assert.equal(await commit(alice, group, secret), TOPIC_DENIED, "committing needs READ on the topic");
      assert.equal(await commit(alice, group, orders), 0);
      const deleteGroup = async (c: WireClient, g: string) =>
        (await c.send(ApiKey.DeleteGroups, 2, { groupsNames: [g] })).results[0]?.errorCode;
      assert.equal(await deleteGroup(alice, group), GROUP_DENIED);
      assert.equal(await deleteGroup(bob, group), 0, "bob's prefixed DELETE on the group");

      // Kafka's producer id block may still be loading: retry while it says so.
      const initProducerId = (c: WireClient) =>
        waitFor(
          async () => {
            const { errorCode } = await c.send(ApiKey.InitProducerId, 4, {
              transactionalId: null,
              transactionTimeoutMs: 60_000,
              producerId: -1n,
              producerEpoch: -1,
            });
            return errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? undefined : errorCode;
          },
          { timeoutMs: 30_000, intervalMs: 100, what: "InitProducerId to answer" },
        );
      assert.equal(await initProducerId(alice), 0, "idempotence with WRITE on some topic");
      assert.equal(await initProducerId(bob), CLUSTER_DENIED);

      const describeAcls = await alice.send(ApiKey.DescribeAcls, 3, {
        resourceTypeFilter: 1,
        resourceNameFilter: null,
        patternTypeFilter: 1,
        principalFilter: null,
        hostFilter: null,
        operation: 1,
        permissionType: 1,
      });
      assert.equal(describeAcls.errorCode, CLUSTER_DENIED);
      const createAcls = await bob.send(ApiKey.CreateAcls, 3, {
        creations: [binding("bob", TOPIC, "*", LITERAL, op.READ)],
      });
      assert.deepEqual(
        createAcls.results.map((r) => r.errorCode),
        [CLUSTER_DENIED],
      );
    } finally {
      for (const c of clients) c.close();
    }
  });
});
