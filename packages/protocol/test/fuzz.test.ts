// Hostile input: random and mutated frames of every API × version, requests and responses. A
// decoder may only succeed or throw DecodeError — never another error, never hang, never read
// outside the frame.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { apiDefinitions } from "../schema/index.ts";
import { apiSpecs, DecodeError, decodeRequestFrame, Reader, Writer } from "../src/index.ts";
import type { ApiKey } from "../src/index.ts";
import { messageArbitrary, versionsOf } from "./support/arbitrary.ts";

const runsPerVersion = Number(process.env["SAMSA_FUZZ_RUNS"] ?? 20);

function decodesOrRejects(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    assert.ok(error.api.length > 0 && error.message.includes(`v${error.version}`));
  }
}

/** Mutations of a valid encoding: flip, overwrite, insert, delete and truncate bytes. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x7f, 0x80, 0xff) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 5 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    switch (m.kind) {
      case "flip":
        out[at] = (out[at] ?? 0) ^ (1 << m.bit);
        break;
      case "set":
        out[at] = m.value;
        break;
      case "truncate":
        out = out.slice(0, at);
        break;
      case "insert":
        out = Uint8Array.from([...out.subarray(0, at), ...m.bytes, ...out.subarray(at)]);
        break;
      case "delete":
        out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + m.count)]);
        break;
    }
  }
  return out;
}

describe("decoders reject hostile bytes with DecodeError only", () => {
  for (const api of apiDefinitions) {
    const spec = apiSpecs[api.apiKey as ApiKey];
    for (const [kind, message, encode, decode] of [
      ["request", api.request, spec.encodeRequest, spec.decodeRequest],
      ["response", api.response, spec.encodeResponse, spec.decodeResponse],
    ] as const) {
      test(`${api.name} ${kind}`, () => {
        for (const version of versionsOf(message)) {
          fc.assert(
            fc.property(
              messageArbitrary(message, version),
              fc.array(mutation, { minLength: 1, maxLength: 4 }),
              fc.uint8Array({ maxLength: 64 }),
              (value, mutations, noise) => {
                const w = new Writer();
                (encode as (w: Writer, v: number, m: unknown) => void)(w, version, value);
                const mutated = mutate(w.toBytes(), mutations);
                decodesOrRejects(() => decode(new Reader(mutated), version));
                decodesOrRejects(() => decode(new Reader(noise), version));
              },
            ),
            { numRuns: runsPerVersion },
          );
        }
      });
    }
  }
});

test("whole request frames: random bytes never escape DecodeError", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -1, max: 90 }),
      fc.integer({ min: -1, max: 20 }),
      fc.uint8Array({ maxLength: 200 }),
      (apiKey, apiVersion, rest) => {
        const frame = new Uint8Array(4 + rest.length);
        const view = new DataView(frame.buffer);
        view.setInt16(0, apiKey);
        view.setInt16(2, apiVersion);
        frame.set(rest, 4);
        decodesOrRejects(() => decodeRequestFrame(frame));
      },
    ),
    { numRuns: 3000 },
  );
});

test("a huge declared array length is refused before allocating", () => {
  // Metadata v0 request: topics array claiming 2^31-1 elements, followed by 3 bytes.
  const frame = Uint8Array.from([0, 3, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
  assert.throws(
    () => decodeRequestFrame(frame),
    (e: unknown) => e instanceof DecodeError && /cannot fit/.test(e.message),
  );
});

test("a huge declared string length is refused", () => {
  // ApiVersions v3 (flexible): client software name with compact length 2^31.
  const frame = Uint8Array.from([0, 18, 0, 3, 0, 0, 0, 7, 0xff, 0xff, 0, 0x80, 0x80, 0x80, 0x80, 0x08, 0x61]);
  assert.throws(() => decodeRequestFrame(frame), DecodeError);
});
