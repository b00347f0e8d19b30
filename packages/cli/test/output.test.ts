// Output for people and scripts: colour only on a terminal (NO_COLOR / FORCE_COLOR / TERM=dumb),
// aligned tables with no colour codes unless styled, the progress line, record templates and JSON
// lines, and one-line failures with their exit codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";

import { CliError, describeFailure, ExitCode, failureLine } from "../src/framework/errors.ts";
import { colourEnabled, colours, formatBytes, plain, table, visibleLength } from "../src/framework/output.ts";
import { progressLine } from "../src/framework/progress.ts";
import { formatRecord, parseTemplate, recordJson } from "../src/kafka/record-format.ts";
import type { FetchedRecord } from "../src/kafka/fetcher.ts";
import { UsageError } from "../src/framework/errors.ts";

const esc = String.fromCharCode(27);

test("colour: on a TTY only; NO_COLOR and TERM=dumb turn it off, FORCE_COLOR on", () => {
  assert.equal(colourEnabled({ isTTY: true }, {}), true);
  assert.equal(colourEnabled({ isTTY: false }, {}), false);
  assert.equal(colourEnabled({}, {}), false);
  assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: "1" }), false);
  assert.equal(colourEnabled({ isTTY: true }, { TERM: "dumb" }), false);
  assert.equal(colourEnabled({ isTTY: false }, { FORCE_COLOR: "1" }), true);
  assert.equal(colourEnabled({ isTTY: true }, { FORCE_COLOR: "0" }), true);
  assert.equal(colourEnabled({ isTTY: false }, { FORCE_COLOR: "0" }), false);
});

test("tables align columns (numbers right), trim trailing spaces, and colour only when styled", () => {
  const rows = [
    ["orders", "12"],
    ["a-much-longer-name", "3"],
  ];
  const text = table(["NAME", "PARTITIONS"], rows, { alignRight: [1] });
  assert.equal(
    text,
    "NAME                PARTITIONS\norders                      12\na-much-longer-name           3\n",
  );
  assert.ok(!text.includes(esc));
  const styled = table(["NAME", "PARTITIONS"], rows, { alignRight: [1], style: colours });
  assert.ok(styled.includes(`${esc}[1mNAME${esc}[22m`));
  // The same layout once the colour codes are removed.
  assert.equal(styled.replaceAll(new RegExp(`${esc}\\[[0-9;]*m`, "g"), ""), text);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 })), { maxLength: 8 }),
      (cells) => {
        const clean = cells.map(([a, b]) => [a.replace(/\s/g, "x"), b.replace(/\s/g, "x")]);
        const lines = table(["A", "B"], clean, { style: plain }).split("\n").slice(0, -1);
        assert.equal(lines.length, clean.length + 1);
        for (const line of lines) assert.ok(!line.endsWith(" "));
      },
    ),
  );
  assert.equal(visibleLength(colours.red("abc")), 3);
});

test("sizes and the progress line", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(5 * 1024 * 1024), "5.0 MiB");
  const half = progressLine(
    { items: 500, bytes: 1024 * 1024, elapsedMs: 2000 },
    { noun: "records", total: 2 * 1024 * 1024, totalUnit: "bytes" },
  );
  assert.match(half, /^\[#+-+\] {2}50% \| 500 records, 1\.0 MiB \| 250 records\/s, 512 KiB\/s \| ETA 2s$/);
  const open = progressLine({ items: 10, bytes: 100, elapsedMs: 1000 }, { noun: "records" });
  assert.equal(open, "10 records, 100 B | 10 records/s, 100 B/s");
});

const record: FetchedRecord = {
  partition: 2,
  offset: 41n,
  timestamp: 1714564800000n,
  timestampType: "CreateTime",
  key: Buffer.from("k1"),
  value: Buffer.from([0x68, 0x69, 0xff]),
  headers: [
    ["a", Buffer.from("1")],
    ["a", null],
  ],
  bytes: 7,
};

test("record templates: placeholders, escapes, literal braces; unknown placeholders are usage errors", () => {
  const template = parseTemplate("{topic}/{partition}@{offset} {time} {key}={value} [{headers}] {{x}}\\n");
  assert.equal(
    formatRecord(template, "t", record, "hex"),
    "t/2@41 2024-05-01T12:00:00.000Z 6b31=6869ff [a=31,a=] {x}\n",
  );
  assert.equal(formatRecord(parseTemplate("{timestamp}\\t{value}"), "t", record, "base64"), "1714564800000\taGn/");
  assert.throws(() => parseTemplate("{nope}"), UsageError);
  assert.throws(() => parseTemplate("{value"), UsageError);
  assert.throws(() => parseTemplate("\\q"), UsageError);
});

test("JSON lines carry every field, null stays null", () => {
  const json = JSON.parse(recordJson("t", { ...record, key: null }, "base64")) as Record<string, unknown>;
  assert.deepEqual(json, {
    topic: "t",
    partition: 2,
    offset: 41,
    timestamp: 1714564800000,
    timestampType: "CreateTime",
    key: null,
    value: "aGn/",
    headers: [
      { key: "a", value: "MQ==" },
      { key: "a", value: null },
    ],
  });
});

test("failures are one line with an exit code: Kafka errors, unreachable clusters, anything else", () => {
  const kafka = Object.assign(new Error("Received response with error"), {
    errors: [
      Object.assign(new Error("Topic already exists."), {
        apiId: "TOPIC_ALREADY_EXISTS",
        serverErrorMessage: "Topic 'x' already exists.\n",
      }),
    ],
  });
  const k = describeFailure(kafka, "creating topic x");
  assert.equal(k.exitCode, ExitCode.failed);
  assert.match(
    failureLine("topic create", k),
    /^samsa topic create: creating topic x: Topic 'x' already exists \(TOPIC_ALREADY_EXISTS\) — try: /,
  );
  assert.doesNotMatch(failureLine("topic create", k), /\n/);
  const unknown = describeFailure(
    Object.assign(new Error("x"), { errors: [{ apiId: "UNKNOWN_TOPIC_OR_PARTITION", message: "Unknown." }] }),
    "reading",
  );
  assert.equal(unknown.exitCode, ExitCode.notFound);
  const down = describeFailure(
    Object.assign(new Error("Cannot connect to any broker."), {
      code: "PLT_KFK_MULTIPLE",
      errors: [Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "PLT_KFK_NETWORK" })],
    }),
    "listing topics",
  );
  assert.equal(down.exitCode, ExitCode.unreachable);
  assert.match(down.message, /cannot reach the cluster \(connect ECONNREFUSED 127\.0\.0\.1:1\)/);
  const other = describeFailure(new TypeError("boom"), "doing it");
  assert.equal(other.exitCode, ExitCode.failed);
  assert.equal(other.message, "doing it: boom");
  const cli = new CliError("as is", { exitCode: ExitCode.badInput });
  assert.equal(describeFailure(cli, "ignored"), cli);
});
