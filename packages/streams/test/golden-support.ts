// Shared by the golden tests against Kafka Streams (window-golden, join-golden, table-join-golden)
// and their case generators: the files' formats — `case <id> …` blocks ending in `end` (cases.txt),
// Kafka's lines per input record (expected.txt), describe() texts (topologies.txt) — and the seeded
// random source the generators draw random cases from.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "@samsa/testkit";

/** One `case … end` block of cases.txt: its head line's words and its body lines' words. */
export interface CaseBlock {
  readonly head: readonly string[];
  readonly body: readonly (readonly string[])[];
}

/** The blocks of a cases.txt (blank lines and `#` comments skipped). */
export function parseCaseBlocks(text: string): CaseBlock[] {
  const blocks: CaseBlock[] = [];
  let current: { head: string[]; body: string[][] } | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const parts = line.split(" ");
    if (parts[0] === "case") current = { head: parts, body: [] };
    else if (parts[0] === "end" && current !== undefined) {
      blocks.push(current);
      current = undefined;
    } else current?.body.push(parts);
  }
  return blocks;
}

/** Expected lines per case id (expected.txt): one array per input record, opened by its `rec` line. */
export function parseExpected(text: string): Map<string, string[][]> {
  const expected = new Map<string, string[][]>();
  let records: string[][] = [];
  let id = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("case ")) {
      id = line.slice(5);
      records = [];
    } else if (line === "end") expected.set(id, records);
    else if (line.startsWith("rec ")) records.push([]);
    else if (line !== "") records[records.length - 1]?.push(line);
  }
  return expected;
}

/** Kafka's describe() text per id (topologies.txt: `topology <id>`, the text, `end`). */
export function parseTopologies(text: string): Map<string, string> {
  const topologies = new Map<string, string>();
  for (const block of text.split(/^end\n/m)) {
    const match = /^topology (\S+)\n([\s\S]*)$/.exec(block);
    if (match !== null) topologies.set(match[1] as string, match[2] as string);
  }
  return topologies;
}

/** The cases and Kafka's expected lines of a golden directory. */
export function readGoldenCases(dir: string): { blocks: CaseBlock[]; expected: Map<string, string[][]> } {
  return {
    blocks: parseCaseBlocks(readFileSync(join(dir, "cases.txt"), "utf8")),
    expected: parseExpected(readFileSync(join(dir, "expected.txt"), "utf8")),
  };
}

/** Kafka's describe() texts of a golden directory. */
export function readGoldenTopologies(dir: string): Map<string, string> {
  return parseTopologies(readFileSync(join(dir, "topologies.txt"), "utf8"));
}

/** A seeded random source for the generators' random cases (the same cases.txt on every run). */
export interface RandomSource {
  /** Uniform in [0, 1). */
  readonly next: () => number;
  /** An integer in [min, max]. */
  readonly int: (min: number, max: number) => number;
  readonly pick: <T>(items: readonly T[]) => T;
}

export function randomSource(seed: number): RandomSource {
  const next = seededRandom(seed);
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return { next, int, pick: (items) => items[int(0, items.length - 1)] as (typeof items)[number] };
}

/** Writes a generator's cases.txt into `dir`: `#` header lines, then the cases' lines. */
export function writeCasesFile(dir: string, header: readonly string[], lines: readonly string[]): void {
  const file = join(dir, "cases.txt");
  writeFileSync(file, [...header.map((line) => `# ${line}`), ...lines].join("\n") + "\n");
  console.log(`wrote ${file}`);
}
