import { test } from "node:test";
import assert from "node:assert/strict";
import { uniqueName, waitFor, WaitTimeoutError } from "../src/index.ts";

test("waitFor returns the first truthy value", async () => {
  let calls = 0;
  const value = await waitFor(() => (++calls >= 3 ? "ready" : undefined), {
    timeoutMs: 1000,
    intervalMs: 1,
    what: "ready",
  });
  assert.equal(value, "ready");
  assert.equal(calls, 3);
});

test("waitFor fails after its timeout, naming what it waited for", async () => {
  await assert.rejects(
    waitFor(() => false, { timeoutMs: 30, intervalMs: 5, what: "never" }),
    (e: unknown) => e instanceof WaitTimeoutError && /never/.test(e.message),
  );
});

test("uniqueName is unique", () => {
  assert.notEqual(uniqueName("t"), uniqueName("t"));
  assert.match(uniqueName("orders"), /^orders-[0-9a-f]{8}$/);
});
