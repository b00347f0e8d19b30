import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { apisTable } from "../src/apis.ts";

const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));

test("samsa apis lists all 72 APIs", () => {
  const table = apisTable({ json: false });
  assert.match(table, /^KEY\s+API\s+VERSIONS/);
  assert.match(table, /\n0\s+Produce\s+0-11\s+9\+/);
  assert.match(table, /72 APIs\n$/);
  const json = apisTable({ json: true })
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { name: string });
  assert.equal(json.length, 72);
  assert.equal(json[0]?.name, "Produce");
});

test("the samsa binary runs, and rejects unknown commands with exit code 2", () => {
  const out = execFileSync(process.execPath, [bin, "apis"], { encoding: "utf8" });
  assert.match(out, /ApiVersions/);
  assert.throws(
    () => execFileSync(process.execPath, [bin, "frobnicate"], { stdio: "pipe" }),
    (e: unknown) => {
      return typeof e === "object" && e !== null && "status" in e && e.status === 2;
    },
  );
});
