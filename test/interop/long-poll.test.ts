// Fetch long polling, on the wire: a Fetch with nothing to return waits for its max wait, and a
// Fetch parked with max wait 5 s returns soon after a produce lands — well before its max wait.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ApiKey, encodeRecordBatch } from "@samsa/protocol";
import type { FetchResponse } from "@samsa/protocol";
import { uniqueName, waitFor, WireClient } from "@samsa/testkit";
import { useTarget } from "./support.ts";

const fetchVersion = 12;
const produceVersion = 9;

/** Auto-creates a topic through Metadata and waits (bounded) until its partition has a leader. */
async function ensureTopic(client: WireClient, topic: string): Promise<void> {
  await waitFor(
    async () => {
      const metadata = await client.send(ApiKey.Metadata, 12, {
        topics: [{ name: topic }],
        allowAutoTopicCreation: true,
      });
      const t = metadata.topics[0];
      return (
        t !== undefined && t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every((p) => p.leaderId >= 0)
      );
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `topic ${topic} to have a leader` },
  );
}

function fetchAt(client: WireClient, topic: string, offset: bigint, maxWaitMs: number): Promise<FetchResponse> {
  return client.send(
    ApiKey.Fetch,
    fetchVersion,
    {
      replicaId: -1,
      maxWaitMs,
      minBytes: 1,
      maxBytes: 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1024 * 1024 }] }],
    },
    { timeoutMs: maxWaitMs + 10_000 },
  );
}

function partitionOf(response: FetchResponse): { errorCode: number; highWatermark: bigint; bytes: number } {
  const data = response.responses[0]?.partitions[0];
  assert.ok(data, "Fetch response without the partition");
  return { errorCode: data.errorCode, highWatermark: data.highWatermark, bytes: data.records?.length ?? 0 };
}

describe("Fetch long poll", () => {
  const target = useTarget();

  test("a Fetch with nothing to return waits for its max wait, then answers empty", async () => {
    const client = await WireClient.connect(target().bootstrap, { clientId: "interop-long-poll" });
    try {
      const topic = uniqueName("long-poll-empty");
      await ensureTopic(client, topic);
      const maxWaitMs = 1000;
      const started = performance.now();
      const response = await fetchAt(client, topic, 0n, maxWaitMs);
      const elapsedMs = performance.now() - started;
      const partition = partitionOf(response);
      assert.equal(partition.errorCode, 0);
      assert.equal(partition.bytes, 0);
      assert.ok(
        elapsedMs >= maxWaitMs * 0.9,
        `returned after ${elapsedMs.toFixed(0)} ms, before its max wait ${maxWaitMs} ms`,
      );
    } finally {
      client.close();
    }
  });

  test("a Fetch parked with max wait 5 s returns soon after a produce", async () => {
    const fetcher = await WireClient.connect(target().bootstrap, { clientId: "interop-long-poll-fetch" });
    const producer = await WireClient.connect(target().bootstrap, { clientId: "interop-long-poll-produce" });
    try {
      const topic = uniqueName("long-poll");
      await ensureTopic(producer, topic);
      const maxWaitMs = 5000;
      for (let round = 0; round < 3; round++) {
        const offset = BigInt(round);
        const fetchSentAt = performance.now();
        const fetching = fetchAt(fetcher, topic, offset, maxWaitMs).then((response) => ({
          response,
          at: performance.now(),
        }));
        // The Fetch is on the wire first; the produce follows on another connection.
        const produced = await producer.send(ApiKey.Produce, produceVersion, {
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
                    records: [
                      { key: null, value: new TextEncoder().encode(`wake ${round}`), timestamp: BigInt(Date.now()) },
                    ],
                  }),
                },
              ],
            },
          ],
        });
        const producedAt = performance.now();
        const ack = produced.responses[0]?.partitionResponses[0];
        assert.equal(ack?.errorCode, 0, "produce acknowledged");
        assert.equal(ack?.baseOffset, offset);

        const { response, at } = await fetching;
        const partition = partitionOf(response);
        assert.equal(partition.errorCode, 0);
        assert.ok(partition.bytes > 0, "the Fetch returned the produced record");
        assert.equal(partition.highWatermark, offset + 1n);
        const fetchMs = at - fetchSentAt;
        const afterProduceMs = at - producedAt;
        assert.ok(
          fetchMs < maxWaitMs / 2,
          `round ${round}: the Fetch took ${fetchMs.toFixed(0)} ms (max wait ${maxWaitMs} ms); ` +
            `it returned ${afterProduceMs.toFixed(0)} ms after the produce was acknowledged`,
        );
      }
    } finally {
      fetcher.close();
      producer.close();
    }
  });
});
