// The live fuzz harness (test/fuzz/live-fuzz.ts) for a short, fixed budget, so `npm test` attacks a
// real broker process on every run: it must not exit, must keep its memory bounded, must answer or
// hang up on (with a log line) every malformed frame, and must keep serving a well-behaved client.
// SAMSA_FUZZ_SEED replays another run; `npm run fuzz` runs the same harness for longer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runLiveFuzz } from "./fuzz/live-fuzz.ts";

test("live fuzz: hostile connections do not crash, bloat or stall the broker", { timeout: 120_000 }, async (t) => {
  const seed = Number(process.env["SAMSA_FUZZ_SEED"] ?? 0x5a4d5a);
  const report = await runLiveFuzz({ seed, durationMs: 20_000, workers: 8, print: (line) => t.diagnostic(line) });
  t.diagnostic(
    `seed ${seed}: ${report.attacks} attacks, ${report.answered} answered, ${report.closedByBroker} closed, ` +
      `${report.healthyRounds} healthy rounds, ${report.saslAttacks} SASL attacks (${report.logins} logins, ` +
      `${report.refusedLogins} refused), rss ${report.rssBaselineBytes} → max ${report.rssMaxBytes}`,
  );
  assert.deepEqual(report.failures, []);
  assert.ok(report.closedByBroker > 0 && report.answered > 0, "the attacks reached both outcomes");
  assert.ok(report.healthyRounds > 0);
  assert.ok(report.logins > 0 && report.refusedLogins > 0, "the SASL attacks reached both outcomes");
});
