// Client quotas over the wire against an in-process broker: AlterClientQuotas (set, remove,
// validateOnly, refusals) and DescribeClientQuotas (exact, default and any matches, strict or
// not); then enforcement — a producer over its byte-rate quota gets throttle_time_ms and is held
// near the quota by the broker muting its connection, a client on another client id is untouched,
// and an over-quota fetch comes back empty with a throttle time, its data served after.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiKey, encodeRecordBatch, ErrorCode } from "@samsa/protocol";
import type { AlterClientQuotasRequestEntryData, DescribeClientQuotasResponse, Input } from "@samsa/protocol";
import { probeFrom, uniqueName, WireClient } from "@samsa/testkit";
import { silentLogger, startBroker } from "../../src/index.ts";
import type { RunningBroker } from "../../src/index.ts";

const MatchType = { EXACT: 0, DEFAULT: 1, ANY: 2 } as const;

let broker: RunningBroker;
let admin: WireClient;

before(async () => {
  broker = await startBroker({
    inMemory: true,
    listen: "127.0.0.1:0",
    logger: silentLogger,
    // Two 1 s windows: a first burst is measured over at least 1 s, so a few seconds of traffic
    // show the quota (with Kafka's 11 windows a client may first send 10 s worth at once).
    settings: { "quota.window.num": "2", "quota.window.size.seconds": "1" },
  });
  admin = await WireClient.connect(broker.bootstrap, { clientId: "quota-admin" });
});

after(async () => {
  admin.close();
  await broker.close();
});

type Entity = Record<string, string | null>;

function entry(entity: Entity, ops: Record<string, number | null>): Input<AlterClientQuotasRequestEntryData> {
  return {
    entity: Object.entries(entity).map(([entityType, entityName]) => ({ entityType, entityName })),
    ops: Object.entries(ops).map(([key, value]) => ({ key, value: value ?? 0, remove: value === null })),
  };
}

async function alter(
  entries: Input<AlterClientQuotasRequestEntryData>[],
  options: { validateOnly?: boolean; version?: number } = {},
): Promise<{ errorCode: number; errorMessage: string | null }[]> {
  const response = await admin.send(ApiKey.AlterClientQuotas, options.version ?? 1, {
    entries,
    validateOnly: options.validateOnly ?? false,
  });
  return response.entries.map((e) => ({ errorCode: e.errorCode, errorMessage: e.errorMessage }));
}

async function describeRaw(
  components: { entityType: string; matchType: number; match?: string | null }[],
  strict: boolean,
  version = 1,
): Promise<DescribeClientQuotasResponse> {
  return admin.send(ApiKey.DescribeClientQuotas, version, {
    components: components.map((c) => ({ ...c, match: c.match ?? null })),
    strict,
  });
}

/** The matching entities as `user=..,client-id=..` strings (`<default>` for null) with their values, sorted. */
async function describe_(
  components: { entityType: string; matchType: number; match?: string | null }[],
  strict: boolean,
  version = 1,
): Promise<string[]> {
  const response = await describeRaw(components, strict, version);
  assert.equal(response.errorCode, 0, response.errorMessage ?? "");
  return (response.entries ?? [])
    .map((e) => {
      const entity = e.entity.map((c) => `${c.entityType}=${c.entityName ?? "<default>"}`).join(",");
      const values = e.values.map((v) => `${v.key}=${v.value}`).sort();
      return `${entity} ${values.join(",")}`;
    })
    .sort();
}

describe("AlterClientQuotas and DescribeClientQuotas", () => {
  // Names unique to this run, so the enforcement tests below are not affected.
  const alice = uniqueName("alice");
  const app = uniqueName("app");

  test("sets, describes by filter, and removes", async () => {
    const results = await alter([
      entry({ user: alice }, { producer_byte_rate: 1024 }),
      entry({ user: alice, "client-id": null }, { producer_byte_rate: 4096, consumer_byte_rate: 8192 }),
      entry({ user: null }, { producer_byte_rate: 512 }),
      entry({ "client-id": app }, { consumer_byte_rate: 2048 }),
    ]);
    assert.deepEqual(results, Array(4).fill({ errorCode: 0, errorMessage: null }));

    const exactAlice = [{ entityType: "user", matchType: MatchType.EXACT, match: alice }];
    assert.deepEqual(await describe_(exactAlice, true), [`user=${alice} producer_byte_rate=1024`]);
    assert.deepEqual(await describe_(exactAlice, false, 0), [
      `user=${alice} producer_byte_rate=1024`,
      `user=${alice},client-id=<default> consumer_byte_rate=8192,producer_byte_rate=4096`,
    ]);
    assert.deepEqual(await describe_([{ entityType: "user", matchType: MatchType.DEFAULT }], true), [
      "user=<default> producer_byte_rate=512",
    ]);
    const anyUser = await describe_([{ entityType: "user", matchType: MatchType.ANY }], true);
    assert.ok(anyUser.includes(`user=${alice} producer_byte_rate=1024`));
    assert.ok(anyUser.includes("user=<default> producer_byte_rate=512"));
    assert.ok(!anyUser.some((e) => e.includes("client-id")));
    assert.deepEqual(
      await describe_(
        [
          { entityType: "user", matchType: MatchType.ANY },
          { entityType: "client-id", matchType: MatchType.DEFAULT },
        ],
        true,
      ),
      [`user=${alice},client-id=<default> consumer_byte_rate=8192,producer_byte_rate=4096`],
    );
    assert.deepEqual(await describe_([{ entityType: "client-id", matchType: MatchType.EXACT, match: app }], false), [
      `client-id=${app} consumer_byte_rate=2048`,
    ]);
    // No components: strict matches nothing, otherwise everything.
    assert.deepEqual(await describe_([], true), []);
    assert.ok((await describe_([], false)).length >= 4);

    // Removing a key; removing the last key removes the entity.
    assert.deepEqual(await alter([entry({ user: alice, "client-id": null }, { producer_byte_rate: null })]), [
      { errorCode: 0, errorMessage: null },
    ]);
    assert.deepEqual(await alter([entry({ user: alice }, { producer_byte_rate: null })], { version: 0 }), [
      { errorCode: 0, errorMessage: null },
    ]);
    assert.deepEqual(await describe_(exactAlice, false), [`user=${alice},client-id=<default> consumer_byte_rate=8192`]);
    await alter([
      entry({ user: alice, "client-id": null }, { consumer_byte_rate: null }),
      entry({ user: null }, { producer_byte_rate: null }),
      entry({ "client-id": app }, { consumer_byte_rate: null }),
    ]);
    assert.deepEqual(await describe_([], false), []);
  });

  test("validateOnly checks without applying", async () => {
    const user = uniqueName("v");
    assert.deepEqual(await alter([entry({ user }, { producer_byte_rate: 100 })], { validateOnly: true }), [
      { errorCode: 0, errorMessage: null },
    ]);
    assert.deepEqual(await describe_([{ entityType: "user", matchType: MatchType.EXACT, match: user }], false), []);
    const [refused] = await alter([entry({ user }, { controller_mutation_rate: 50 })], { validateOnly: true });
    assert.equal(refused?.errorCode, ErrorCode.INVALID_REQUEST);
  });

  test("refuses invalid entries one by one, applying the valid ones", async () => {
    const user = uniqueName("r");
    const results = await alter([
      entry({ user }, { controller_mutation_rate: 50 }),
      entry({ user }, { connection_creation_rate: 5 }),
      entry({ user }, { no_such_quota: 5 }),
      entry({ ip: "not-an-address" }, { connection_creation_rate: 5 }),
      entry({ ip: "10.0.0.1", user }, { connection_creation_rate: 5 }),
      entry({ ip: "10.0.0.1" }, { producer_byte_rate: 5 }),
      entry({ ip: "10.0.0.1" }, { connection_creation_rate: 1.5 }),
      entry({}, { producer_byte_rate: 5 }),
      entry({ user, group: "g" }, { producer_byte_rate: 5 }),
      entry({ user }, { producer_byte_rate: 0 }),
      entry({ user }, { producer_byte_rate: 10.5 }),
      entry({ user }, { request_percentage: 0 }),
      entry({ user }, { request_percentage: -5 }),
      entry({ user }, { consumer_byte_rate: 300, request_percentage: 12.5 }),
    ]);
    assert.deepEqual(
      results.map((r) => r.errorCode),
      [...Array<number>(13).fill(ErrorCode.INVALID_REQUEST), 0],
    );
    assert.ok(results.slice(0, 13).every((r) => r.errorMessage !== null));
    assert.deepEqual(await describe_([{ entityType: "user", matchType: MatchType.EXACT, match: user }], true), [
      `user=${user} consumer_byte_rate=300,request_percentage=12.5`,
    ]);
    await alter([entry({ user }, { consumer_byte_rate: null, request_percentage: null })]);
  });

  test("ip entities take connection_creation_rate, named or default, and are described by ip filters", async () => {
    assert.deepEqual(
      (
        await alter([
          entry({ ip: "10.1.2.3" }, { connection_creation_rate: 7 }),
          entry({ ip: null }, { connection_creation_rate: 50 }),
          entry({ ip: "::FFFF:10.1.2.4" }, { connection_creation_rate: 9 }),
        ])
      ).map((r) => r.errorCode),
      [0, 0, 0],
    );
    assert.deepEqual(await describe_([{ entityType: "ip", matchType: MatchType.ANY }], false), [
      "ip=10.1.2.3 connection_creation_rate=7",
      "ip=10.1.2.4 connection_creation_rate=9",
      "ip=<default> connection_creation_rate=50",
    ]);
    assert.deepEqual(await describe_([{ entityType: "ip", matchType: MatchType.DEFAULT }], true), [
      "ip=<default> connection_creation_rate=50",
    ]);
    await alter([
      entry({ ip: "10.1.2.3" }, { connection_creation_rate: null }),
      entry({ ip: null }, { connection_creation_rate: null }),
      entry({ ip: "10.1.2.4" }, { connection_creation_rate: null }),
    ]);
    assert.deepEqual(await describe_([{ entityType: "ip", matchType: MatchType.ANY }], false), []);
  });

  test("refuses malformed filters", async () => {
    const cases: [{ entityType: string; matchType: number; match?: string | null }[], number][] = [
      [
        [
          { entityType: "user", matchType: MatchType.ANY },
          { entityType: "user", matchType: MatchType.DEFAULT },
        ],
        ErrorCode.INVALID_REQUEST,
      ],
      [[{ entityType: "user", matchType: MatchType.EXACT, match: null }], ErrorCode.INVALID_REQUEST],
      [[{ entityType: "user", matchType: MatchType.DEFAULT, match: "x" }], ErrorCode.INVALID_REQUEST],
      [
        [
          { entityType: "ip", matchType: MatchType.ANY },
          { entityType: "user", matchType: MatchType.ANY },
        ],
        ErrorCode.INVALID_REQUEST,
      ],
      [[{ entityType: "user", matchType: 7 }], ErrorCode.UNSUPPORTED_VERSION],
      [[{ entityType: "group", matchType: MatchType.ANY }], ErrorCode.UNSUPPORTED_VERSION],
    ];
    for (const [components, errorCode] of cases) {
      const response = await describeRaw(components, false);
      assert.equal(response.errorCode, errorCode, JSON.stringify(components));
      assert.equal(response.entries, null);
    }
  });
});

/** A sessionless Fetch of partition 0 from `offset`, without waiting. */
function fetchFrom(client: WireClient, topic: string, offset: bigint) {
  return client.send(ApiKey.Fetch, 12, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: "00000000-0000-0000-0000-000000000000",
        partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }],
      },
    ],
  });
}

function batch(bytes: number): Uint8Array {
  return encodeRecordBatch({
    records: [{ key: null, value: new Uint8Array(bytes).fill(7), timestamp: BigInt(Date.now()) }],
  });
}

async function createTopic(name: string): Promise<void> {
  const response = await admin.send(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, configs: [] }],
    timeoutMs: 5000,
  });
  assert.equal(response.topics[0]?.errorCode, 0);
}

async function produce(client: WireClient, topic: string, records: Uint8Array): Promise<number> {
  const response = await client.send(ApiKey.Produce, 9, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  assert.equal(response.responses[0]?.partitionResponses[0]?.errorCode, 0);
  return response.throttleTimeMs;
}

describe("quota enforcement", () => {
  test("a producer over its quota is throttled and held near it; another client id is not", async () => {
    const topic = uniqueName("quota-produce");
    const slowId = uniqueName("slow");
    const quota = 20_000;
    assert.deepEqual(await alter([entry({ "client-id": slowId }, { producer_byte_rate: quota })]), [
      { errorCode: 0, errorMessage: null },
    ]);
    const slow = await WireClient.connect(broker.bootstrap, { clientId: slowId });
    const fast = await WireClient.connect(broker.bootstrap, { clientId: uniqueName("fast") });
    try {
      const records = batch(5000);
      await createTopic(topic);
      // The slow producer sends back to back, ignoring throttle times: only the broker's muting holds it back.
      const started = Date.now();
      let bytes = 0;
      let throttled = 0;
      while (Date.now() - started < 4000 || throttled === 0) {
        const throttleMs = await produce(slow, topic, records);
        bytes += records.length;
        if (throttleMs > 0) throttled++;
        assert.ok(Date.now() - started < 30_000, "no throttle seen within 30 s");
      }
      const elapsedSec = (Date.now() - started) / 1000;
      const achieved = bytes / elapsedSec;
      assert.ok(throttled > 0);
      assert.ok(achieved < 2 * quota, `achieved ${Math.round(achieved)} B/s against a quota of ${quota} B/s`);
      // A client on another client id: far more than the quota, never throttled.
      for (let i = 0; i < 40; i++) assert.equal(await produce(fast, topic, records), 0);
    } finally {
      slow.close();
      fast.close();
      await alter([entry({ "client-id": slowId }, { producer_byte_rate: null })]);
    }
  });

  test("a client over its request_percentage is throttled (at most one window), its fetches answered empty; others are not", async () => {
    const topic = uniqueName("quota-request");
    const busyId = uniqueName("busy");
    // 0.001 % of a thread: 10 µs of processing per second, less than one request takes.
    assert.deepEqual(await alter([entry({ "client-id": busyId }, { request_percentage: 0.001 })]), [
      { errorCode: 0, errorMessage: null },
    ]);
    await createTopic(topic);
    const busy = await WireClient.connect(broker.bootstrap, { clientId: busyId });
    const second = await WireClient.connect(broker.bootstrap, { clientId: busyId });
    const other = await WireClient.connect(broker.bootstrap, { clientId: uniqueName("other") });
    const metadata = async (client: WireClient): Promise<number> =>
      (await client.send(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: false }))
        .throttleTimeMs;
    try {
      let throttleMs = 0;
      for (let i = 0; i < 100 && throttleMs === 0; i++) throttleMs = await metadata(busy);
      assert.ok(throttleMs > 0, "no throttle time within 100 requests");
      assert.ok(throttleMs <= 1000, `throttle ${throttleMs} ms exceeds the 1 s quota window`);
      // The same client id on another connection (not muted) is over the quota too: a fetch is
      // answered empty with the throttle time, as Kafka answers it.
      const fetched = await fetchFrom(second, topic, 0n);
      assert.ok(fetched.throttleTimeMs > 0);
      assert.deepEqual(fetched.responses, []);
      for (let i = 0; i < 100; i++) assert.equal(await metadata(other), 0);
    } finally {
      busy.close();
      second.close();
      other.close();
      await alter([entry({ "client-id": busyId }, { request_percentage: null })]);
    }
  });

  test("connections over their address's connection_creation_rate are held unanswered and closed; other addresses are not", async () => {
    // 127.0.0.0/8 is all loopback: this test's connections come from 127.0.0.3, everything else
    // from 127.0.0.1.
    const from = "127.0.0.3";
    assert.deepEqual(await alter([entry({ ip: from }, { connection_creation_rate: 2 })]), [
      { errorCode: 0, errorMessage: null },
    ]);
    try {
      const outcomes: string[] = [];
      // Two 1 s windows: a rate of at least 3 connections over at most 1 s is over the quota.
      for (let i = 0; i < 6; i++) outcomes.push(await probeFrom(broker.bootstrap, from));
      assert.deepEqual(outcomes.slice(0, 2), ["answered", "answered"]);
      assert.ok(outcomes.includes("closed"), outcomes.join(","));
      // The broker still serves other addresses.
      assert.equal(await probeFrom(broker.bootstrap, "127.0.0.1"), "answered");
    } finally {
      await alter([entry({ ip: from }, { connection_creation_rate: null })]);
    }
  });

  test("an over-quota fetch is answered empty with a throttle time, and its data comes after", async () => {
    const topic = uniqueName("quota-fetch");
    const consumerId = uniqueName("consumer");
    const producer = await WireClient.connect(broker.bootstrap, { clientId: uniqueName("producer") });
    const consumer = await WireClient.connect(broker.bootstrap, { clientId: consumerId });
    try {
      // Batches smaller than the quota's worth over one window: the rate a fetch is measured at
      // is at least its bytes over a window, and an over-quota fetch is answered without data.
      const records = batch(3000);
      await createTopic(topic);
      for (let i = 0; i < 4; i++) await produce(producer, topic, records);
      const quota = 4000;
      await alter([entry({ "client-id": consumerId }, { consumer_byte_rate: quota })]);
      let offset = 0n;
      let throttled = 0;
      let emptyThrottled = 0;
      for (let round = 0; round < 100 && offset < 4n; round++) {
        const response = await fetchFrom(consumer, topic, offset);
        assert.equal(response.errorCode, 0);
        if (response.throttleTimeMs > 0) {
          throttled++;
          if (response.responses.length === 0) emptyThrottled++;
          continue;
        }
        const part = response.responses[0]?.partitions[0];
        assert.equal(part?.errorCode, 0);
        const got = part.records?.length ?? 0;
        // A response carries at most what the quota allows over the windows but one, or one batch.
        assert.ok(got <= Math.max(quota, records.length), `fetched ${got} bytes`);
        if (got > 0) offset++; // one record per batch, one batch per response under this quota
      }
      assert.equal(offset, 4n, "every record was fetched in the end");
      assert.ok(throttled > 0 && emptyThrottled === throttled);
    } finally {
      producer.close();
      consumer.close();
      await alter([entry({ "client-id": consumerId }, { consumer_byte_rate: null })]);
    }
  });
});
