// The command-line layer: strict parsing per command spec, help rendered from the same spec,
// validated values (integers, choices, NAME=VALUE, brokers) and positions (offsets, times,
// durations), with usage errors (exit code 2) for everything wrong.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseAssignments, parseCommand, renderHelp } from "../src/framework/args.ts";
import type { CommandSpec } from "../src/framework/args.ts";
import { parseBrokers } from "../src/framework/connection.ts";
import { ExitCode, UsageError } from "../src/framework/errors.ts";
import { parseDurationMs, parsePosition } from "../src/framework/positions.ts";

const spec: CommandSpec = {
  name: "topic create",
  summary: "Create a topic.",
  connects: true,
  reads: true,
  positionals: [{ name: "TOPIC", description: "the topic" }],
  options: {
    partitions: { type: "string", short: "p", value: "N", description: "partitions" },
    config: { type: "string", short: "c", multiple: true, value: "K=V", description: "configs" },
    force: { type: "boolean", description: "force" },
  },
  examples: ["samsa topic create orders -p 3"],
};

function usageError(fn: () => unknown, message: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof UsageError && e.exitCode === ExitCode.usage && message.test(e.message),
  );
}

test("options, short flags, repeated options and positionals parse", () => {
  const args = parseCommand(spec, [
    "orders",
    "-p",
    "3",
    "-c",
    "a=1",
    "--config=b=2",
    "--force",
    "-b",
    "h:1",
    "-o",
    "json",
  ]);
  assert.ok(args !== undefined);
  assert.equal(args.positional(0), "orders");
  assert.equal(args.int("partitions", { min: 1 }), 3);
  assert.deepEqual(args.list("config"), ["a=1", "b=2"]);
  assert.equal(args.flag("force"), true);
  assert.equal(args.string("brokers"), "h:1");
  assert.equal(args.output(), "json");
});

test("--help anywhere returns undefined (the caller prints help)", () => {
  assert.equal(parseCommand(spec, ["--help"]), undefined);
  assert.equal(parseCommand(spec, ["orders", "-h"]), undefined);
});

test("unknown options, missing values, missing and extra positionals are usage errors", () => {
  usageError(() => parseCommand(spec, ["orders", "--partitons", "3"]), /partitons/);
  usageError(() => parseCommand(spec, ["orders", "-p"]), /-p/);
  usageError(() => parseCommand(spec, []), /missing TOPIC/);
  usageError(() => parseCommand(spec, ["a", "b"]), /unexpected argument "b"/);
  const args = parseCommand(spec, ["orders", "-p", "three", "-o", "yaml"]);
  assert.ok(args !== undefined);
  usageError(() => args.int("partitions"), /--partitions must be an integer/);
  usageError(() => args.output(), /--output must be one of text, json/);
  const zero = parseCommand(spec, ["orders", "-p", "0"]);
  usageError(() => zero?.int("partitions", { min: 1 }), /at least 1/);
});

test("help lists every option of the spec, the common ones, and the examples", () => {
  const help = renderHelp(spec);
  assert.match(help, /^Usage: samsa topic create TOPIC \[options\]/);
  for (const flag of [
    "-p, --partitions N",
    "-c, --config K=V",
    "--force",
    "-b, --brokers",
    "-o, --output",
    "-h, --help",
    "--timeout",
  ])
    assert.ok(help.includes(flag), `help mentions ${flag}`);
  assert.match(help, /Examples:\n {2}samsa topic create orders -p 3/);
});

test("NAME=VALUE pairs keep '=' in values and reject pairs without a name", () => {
  assert.deepEqual(parseAssignments(["a=1", "b=x=y", "c="], "--config"), [
    ["a", "1"],
    ["b", "x=y"],
    ["c", ""],
  ]);
  usageError(() => parseAssignments(["=1"], "--config"), /NAME=VALUE/);
  usageError(() => parseAssignments(["novalue"], "--config"), /NAME=VALUE/);
});

test("broker lists: host:port, IPv6 in brackets; anything else is a usage error", () => {
  assert.deepEqual(parseBrokers("a:9092, b.example.com:19092,[::1]:9093"), [
    "a:9092",
    "b.example.com:19092",
    "[::1]:9093",
  ]);
  for (const bad of ["", "host", "host:0", "host:70000", "host:port", ":9092"])
    usageError(() => parseBrokers(bad), /brokers/);
});

test("positions: beginning, end, offsets, ISO and epoch times, durations ago", () => {
  const now = Date.parse("2024-05-01T12:00:00Z");
  assert.deepEqual(parsePosition("beginning", "--from", now), { kind: "beginning" });
  assert.deepEqual(parsePosition("earliest", "--from", now), { kind: "beginning" });
  assert.deepEqual(parsePosition("end", "--from", now), { kind: "end" });
  assert.deepEqual(parsePosition("42", "--from", now), { kind: "offset", offset: 42n });
  assert.deepEqual(parsePosition("@1714564800000", "--from", now), { kind: "timestamp", timestampMs: 1714564800000 });
  assert.deepEqual(parsePosition("2024-05-01T11:00:00Z", "--from", now), {
    kind: "timestamp",
    timestampMs: now - 3_600_000,
  });
  assert.deepEqual(parsePosition("2024-05-01", "--from", now), {
    kind: "timestamp",
    timestampMs: Date.parse("2024-05-01T00:00:00Z"),
  });
  assert.deepEqual(parsePosition("1h30m", "--from", now), { kind: "timestamp", timestampMs: now - 5_400_000 });
  assert.deepEqual(parsePosition("15m ago", "--from", now), { kind: "timestamp", timestampMs: now - 900_000 });
  for (const bad of ["yesterday", "-5", "1.5h", "2024-13-45", "@", "9223372036854775808"])
    usageError(() => parsePosition(bad, "--from", now), /--from/);
});

test("durations add up their parts (property)", () => {
  fc.assert(
    fc.property(fc.nat(1000), fc.nat(59), fc.nat(59), (h, m, s) => {
      assert.equal(parseDurationMs(`${h}h${m}m${s}s`), ((h * 60 + m) * 60 + s) * 1000);
    }),
  );
  assert.equal(parseDurationMs("500ms"), 500);
  assert.equal(parseDurationMs("2d"), 172_800_000);
  assert.equal(parseDurationMs("abc"), undefined);
});
