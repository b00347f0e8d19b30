// The `samsa` CLI on a terminal and in a pipe: under a pseudo-terminal (util-linux `script`, in
// Debian's essential bsdutils) tables get a bold header and the progress bar with throughput is
// drawn for produce, backup and restore; the same commands piped print no escape codes at all.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uniqueName } from "@samsa/testkit";
import { nodeBin, samsaBin, samsaOk } from "./cli-support.ts";
import { run, useTarget, which } from "./support.ts";

const target = useTarget();
const b = (): string => target().bootstrap;
const esc = String.fromCharCode(27);
const scriptMissing =
  which("script") === undefined ? "util-linux `script` is not installed (Debian: bsdutils)" : undefined;

const quote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;

/** Runs `samsa ...args` inside a pseudo-terminal; returns everything the terminal showed. */
async function onTerminal(args: readonly string[]): Promise<string> {
  const command = `stty cols 120 rows 40; ${[nodeBin, samsaBin, ...args].map(quote).join(" ")}`;
  const result = await run("script", ["-qfec", command, "/dev/null"], {
    env: { SAMSA_BROKERS: b(), TERM: "xterm-256color", COLUMNS: "120", LINES: "40", NO_COLOR: "", FORCE_COLOR: "" },
    timeoutMs: 120_000,
  });
  assert.equal(
    result.code,
    0,
    `samsa ${args.join(" ")} on a terminal exited ${result.code}\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

describe("samsa CLI on a terminal and in a pipe", { timeout: 240_000, skip: scriptMissing }, () => {
  test("tables are styled on a terminal; piped output has no escape codes", async () => {
    const topic = uniqueName("cli-tty");
    await samsaOk(b(), ["topic", "create", topic, "-p", "2", "-c", "retention.ms=600000"]);
    const tty = await onTerminal(["topic", "list"]);
    assert.ok(
      tty.includes(`${esc}[1mNAME${esc}[22m`),
      `a bold header on a terminal: ${JSON.stringify(tty.slice(0, 300))}`,
    );
    assert.match(tty, new RegExp(`${topic}\\s+2\\s+1`));
    const described = await onTerminal(["topic", "describe", topic]);
    assert.ok(described.includes(`${esc}[36mtopic${esc}[39m`), "the topic's own config source highlighted");
    for (const args of [["topic", "list"], ["topic", "describe", topic], ["consume", topic], ["apis"]]) {
      const piped = await samsaOk(b(), args);
      assert.ok(
        !piped.stdout.includes(esc) && !piped.stderr.includes(esc),
        `no escape codes piped: samsa ${args.join(" ")}`,
      );
    }
  });

  test("produce, backup and restore draw a progress bar with throughput on a terminal only", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "samsa-tty-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const topic = uniqueName("cli-tty-progress");
    await samsaOk(b(), ["topic", "create", topic, "-p", "2"]);
    const input = join(dir, "input.txt");
    writeFileSync(
      input,
      Array.from({ length: 20_000 }, (_, i) => `line ${i} ${"payload ".repeat(4)}`).join("\n") + "\n",
    );
    const bar = new RegExp(
      `\\r${esc}\\[2K\\[[#-]+\\] +\\d+% \\| [\\d,]+ records, [\\d.]+ (B|KiB|MiB) \\| [\\d,]+ records/s`,
    );

    const produced = await onTerminal(["produce", topic, "-f", input]);
    assert.match(produced, bar, `the bar: ${JSON.stringify(produced.slice(0, 400))}`);
    assert.match(produced, /produced 20,000 records \([\d.]+ (KiB|MiB)\) to /);
    const piped = await samsaOk(b(), ["produce", topic, "-f", input]);
    assert.equal(piped.stderr, "", "no bar and no summary into a pipe");
    assert.equal(piped.stdout, "");

    const file = join(dir, "backup.jsonl.gz");
    const backedUp = await onTerminal(["topic", "backup", topic, "-f", file]);
    assert.match(backedUp, bar);
    assert.match(backedUp, /backed up 40,000 records/);
    const restoredTopic = uniqueName("cli-tty-restored");
    const restored = await onTerminal(["topic", "restore", file, "-t", restoredTopic]);
    assert.match(restored, bar);
    assert.match(restored, /restored 40,000 records/);
    const quiet = await samsaOk(b(), ["topic", "restore", file, "-t", uniqueName("cli-tty-piped")]);
    assert.ok(!quiet.stderr.includes(esc) && !quiet.stdout.includes(esc));
  });
});
