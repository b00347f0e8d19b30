// Round trip of every message of every API at every version, with generated values that include
// nulls, unicode and tagged fields: decode(encode(x)) equals x, and re-encoding gives the same bytes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { apiDefinitions, standaloneDefinitions } from "../schema/index.ts";
import type { MessageDefinition } from "../schema/types.ts";
import { apiSpecs, Reader, Writer } from "../src/index.ts";
import type { ApiKey } from "../src/index.ts";
import * as headers from "../src/generated/request-header.ts";
import * as responseHeaders from "../src/generated/response-header.ts";
import * as subscription from "../src/generated/consumer-protocol-subscription.ts";
import * as assignment from "../src/generated/consumer-protocol-assignment.ts";
import { messageArbitrary, versionsOf } from "./support/arbitrary.ts";

type Encode = (w: Writer, v: number, m: never) => void;
type Decode = (r: Reader, v: number) => unknown;

function encodeToBytes(encode: Encode, version: number, value: unknown): Uint8Array {
  const w = new Writer(64);
  encode(w, version, value as never);
  return new Uint8Array(w.toBytes()); // a plain copy, so decoded views compare as Uint8Array
}

function checkRoundTrip(message: MessageDefinition, encode: Encode, decode: Decode): void {
  for (const version of versionsOf(message)) {
    fc.assert(
      fc.property(messageArbitrary(message, version), (value) => {
        const bytes = encodeToBytes(encode, version, value);
        const r = new Reader(bytes);
        const decoded = decode(r, version);
        assert.equal(r.remaining, 0, "decoder consumed the whole message");
        assert.deepStrictEqual(decoded, value);
        assert.deepStrictEqual(encodeToBytes(encode, version, decoded), bytes);
      }),
      { numRuns: 25 },
    );
  }
}

describe("round trip of every API × version", () => {
  for (const api of apiDefinitions) {
    const spec = apiSpecs[api.apiKey as ApiKey];
    test(`${api.name} request v${api.request.validVersions}`, () => {
      checkRoundTrip(api.request, spec.encodeRequest, spec.decodeRequest);
    });
    test(`${api.name} response v${api.response.validVersions}`, () => {
      checkRoundTrip(api.response, spec.encodeResponse, spec.decodeResponse);
    });
  }
});

describe("round trip of standalone messages", () => {
  const codecs: Record<string, [Encode, Decode]> = {
    RequestHeader: [headers.encodeRequestHeader, headers.decodeRequestHeader],
    ResponseHeader: [responseHeaders.encodeResponseHeader, responseHeaders.decodeResponseHeader],
    ConsumerProtocolSubscription: [
      subscription.encodeConsumerProtocolSubscription,
      subscription.decodeConsumerProtocolSubscription,
    ],
    ConsumerProtocolAssignment: [
      assignment.encodeConsumerProtocolAssignment,
      assignment.decodeConsumerProtocolAssignment,
    ],
  };
  for (const message of standaloneDefinitions) {
    test(message.name, () => {
      const codec = codecs[message.name];
      assert.ok(codec, `no codec for ${message.name}`);
      checkRoundTrip(message, codec[0], codec[1]);
    });
  }
});
