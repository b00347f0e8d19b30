// Golden frames captured from real clients (librdkafka via kcat, the Java client, kafkajs,
// @platformatic/kafka) talking to Apache Kafka: every one decodes with our codecs, re-encodes to
// the same bytes, and every record batch inside is valid and uses the codec it was sent with.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ApiKey,
  decodeRecords,
  decodeRequestFrame,
  decodeRequestFrameHeader,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  iterateBatches,
} from "../src/index.ts";
import type { ApiKey as ApiKeyType } from "../src/index.ts";

interface Fixture {
  readonly file: string;
  readonly client: string;
  readonly direction: "request" | "response";
  readonly apiKey: number;
  readonly apiName: string;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly variant: string | null;
}

const dir = join(import.meta.dirname, "fixtures/golden");
const fixtures = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as Fixture[];
const codecs = new Set(["none", "gzip", "snappy", "lz4", "zstd"]);

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Checks every batch of a records field; returns the codecs seen. */
function checkRecords(records: Uint8Array | null): Set<string> {
  const seen = new Set<string>();
  if (records === null) return seen;
  for (const batch of iterateBatches(records)) {
    const decoded = decodeRecords(batch.bytes, { maxBytes: 1 << 24 });
    assert.equal(decoded.records.length, decoded.header.recordsCount);
    if (!decoded.header.control) seen.add(decoded.header.compression);
  }
  return seen;
}

function recordsOf(apiKey: number, direction: Fixture["direction"], body: unknown): (Uint8Array | null)[] {
  if (apiKey === ApiKey.Produce && direction === "request") {
    const b = body as { topicData: { partitionData: { records: Uint8Array | null }[] }[] };
    return b.topicData.flatMap((t) => t.partitionData.map((p) => p.records));
  }
  if (apiKey === ApiKey.Fetch && direction === "response") {
    const b = body as { responses: { partitions: { records: Uint8Array | null }[] }[] };
    return b.responses.flatMap((t) => t.partitions.map((p) => p.records));
  }
  return [];
}

describe("golden frames from real clients", () => {
  test("the capture covers librdkafka and the Java client for the main APIs", () => {
    for (const client of ["librdkafka", "java"]) {
      const apis = new Set(fixtures.filter((f) => f.client === client).map((f) => f.apiName));
      for (const api of ["ApiVersions", "Metadata", "Produce", "Fetch", "JoinGroup", "FindCoordinator"]) {
        assert.ok(apis.has(api), `${client} ${api}`);
      }
      const produceCodecs = new Set(
        fixtures.filter((f) => f.client === client && f.apiName === "Produce").map((f) => f.variant),
      );
      for (const codec of codecs) assert.ok(produceCodecs.has(codec), `${client} Produce with ${codec}`);
    }
  });

  for (const f of fixtures) {
    test(`${f.client} ${f.apiName} v${f.apiVersion} ${f.direction}${f.variant === null ? "" : ` (${f.variant})`}`, () => {
      const frame = new Uint8Array(readFileSync(join(dir, f.file)));
      let body: unknown;
      if (f.direction === "request" && f.variant === "unsupported") {
        // A version newer than ours: only the header is readable, which is what the broker needs
        // to answer UNSUPPORTED_VERSION.
        const { header, supported } = decodeRequestFrameHeader(frame);
        assert.equal(supported, false);
        assert.deepEqual(
          [header.requestApiKey, header.requestApiVersion, header.correlationId],
          [f.apiKey, f.apiVersion, f.correlationId],
        );
        return;
      }
      if (f.direction === "request") {
        const decoded = decodeRequestFrame(frame);
        assert.equal(decoded.apiKey, f.apiKey);
        assert.equal(decoded.apiVersion, f.apiVersion);
        assert.equal(decoded.header.correlationId, f.correlationId);
        body = decoded.body;
        const again = encodeRequestFrame({
          apiKey: decoded.apiKey,
          apiVersion: decoded.apiVersion,
          correlationId: decoded.header.correlationId,
          clientId: decoded.header.clientId,
          body: decoded.body,
        });
        assert.deepStrictEqual(Uint8Array.from(again.subarray(4)), frame, "re-encodes to the same bytes");
      } else {
        // An answer to an unsupported ApiVersions version is in the v0 format.
        const version = f.variant === "unsupported" ? 0 : f.apiVersion;
        const decoded = decodeResponseFrame(f.apiKey as ApiKeyType, version, frame);
        assert.equal(decoded.correlationId, f.correlationId);
        body = decoded.body;
        const again = concat(
          encodeResponseFrame({
            apiKey: f.apiKey as ApiKeyType,
            apiVersion: version,
            correlationId: decoded.correlationId,
            body: decoded.body,
          }),
        );
        assert.deepStrictEqual(Uint8Array.from(again.subarray(4)), frame, "re-encodes to the same bytes");
      }
      const seen = new Set<string>();
      for (const records of recordsOf(f.apiKey, f.direction, body)) for (const c of checkRecords(records)) seen.add(c);
      const carriesRecords =
        (f.apiKey === ApiKey.Produce && f.direction === "request") ||
        (f.apiKey === ApiKey.Fetch && f.direction === "response");
      if (f.variant !== null && codecs.has(f.variant) && carriesRecords) {
        assert.ok(seen.has(f.variant), `batches use ${f.variant}, saw ${[...seen].join(",")}`);
      }
    });
  }
});
