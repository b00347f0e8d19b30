// The project's definitions agree with Kafka's official message descriptors (versions, fields,
// types, tags, defaults), and the generated codecs are up to date with the definitions.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  brokerApis,
  defaultDescriptorDir,
  loadDescriptors,
  standaloneMessages,
} from "../../../scripts/import-descriptors.ts";
import { generateAll, generatedDir } from "../../../scripts/gen-protocol.ts";
import { apiDefinitions, standaloneDefinitions } from "../schema/index.ts";
import type { MessageDefinition } from "../schema/types.ts";

const descriptorDir = process.env["KAFKA_DESCRIPTORS_DIR"] ?? defaultDescriptorDir;
const haveDescriptors = existsSync(descriptorDir);

describe(
  "definitions match Kafka's descriptors",
  { skip: haveDescriptors ? false : `no descriptors at ${descriptorDir}` },
  () => {
    const all = haveDescriptors ? loadDescriptors(descriptorDir) : new Map<string, MessageDefinition>();
    test("the same 72 broker APIs", () => {
      const expected = brokerApis(all);
      assert.equal(expected.length, 72);
      assert.deepEqual(
        apiDefinitions.map((a) => [a.apiKey, a.name]),
        expected.map((a) => [a.apiKey, a.name]),
      );
    });
    for (const api of apiDefinitions) {
      test(`${api.name} request and response`, () => {
        assert.deepStrictEqual(api.request, all.get(`${api.name}Request`));
        assert.deepStrictEqual(api.response, all.get(`${api.name}Response`));
      });
    }
    test("standalone messages", () => {
      assert.deepEqual(
        standaloneDefinitions.map((m) => m.name),
        [...standaloneMessages],
      );
      for (const m of standaloneDefinitions) assert.deepStrictEqual(m, all.get(m.name));
    });
  },
);

test("generated codecs are up to date with the definitions (npm run gen)", () => {
  const expected = generateAll();
  const onDisk = readdirSync(generatedDir).sort();
  assert.deepEqual(onDisk, [...expected.keys()].sort(), "generated file list differs");
  for (const [name, text] of expected) {
    assert.equal(readFileSync(join(generatedDir, name), "utf8"), text, `${name} is stale: run npm run gen`);
  }
});
