// The sampled byte rate and throttle time of client quotas (quotas/rate.ts, quotas/client-quotas.ts)
// on an injected clock: how the rate is measured over the windows, when samples expire, the throttle
// a burst earns, and that a client that waits out its throttle times ends up near its quota.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SampledRate, throttleTimeMs } from "../../src/quotas/rate.ts";
import { ClientQuotas } from "../../src/quotas/client-quotas.ts";
import { ClientQuotaStore } from "../../src/quotas/quota-store.ts";

const config = { samples: 11, windowMs: 1000 };

describe("SampledRate", () => {
  test("a first burst is measured over samples − 1 windows", () => {
    const rate = new SampledRate(config);
    rate.record(1000, 0);
    assert.equal(rate.windowSizeMs(0), 10_000);
    assert.equal(rate.measure(0), 100);
    // Within quota: no throttle; over it: the excess over the quota, scaled by the window.
    assert.equal(throttleTimeMs(rate, 100, 0), 0);
    assert.equal(throttleTimeMs(rate, 50, 0), 10_000);
    assert.equal(throttleTimeMs(rate, 80, 0), 2500);
  });

  test("the window grows with the samples held, beyond samples − 1 windows", () => {
    const rate = new SampledRate(config);
    for (let t = 0; t <= 10_500; t += 500) rate.record(100, t);
    // 22 records of 100 bytes over the 11 windows from t=0 to 10.5 s.
    assert.equal(rate.windowSizeMs(10_500), 10_500);
    assert.ok(Math.abs(rate.measure(10_500) - 2200 / 10.5) < 1e-9);
  });

  test("windows older than the whole ring are forgotten", () => {
    const rate = new SampledRate(config);
    rate.record(5000, 0);
    assert.ok(rate.measure(5000) > 0);
    assert.equal(rate.measure(11_000), 0);
    assert.equal(throttleTimeMs(rate, 1, 11_000), 0);
  });

  test("a recorded amount can be taken back", () => {
    const rate = new SampledRate(config);
    rate.record(3000, 100);
    rate.record(-3000, 200);
    assert.equal(rate.measure(200), 0);
  });

  test("a client that waits out each throttle time stays near its quota", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 100_000 }), fc.integer({ min: 1, max: 50 }), (quota, chunkFactor) => {
        const chunk = Math.ceil((quota * chunkFactor) / 10);
        const rate = new SampledRate(config);
        let now = 0;
        let bytes = 0;
        const endMs = 120_000;
        while (now < endMs) {
          rate.record(chunk, now);
          bytes += chunk;
          now += Math.max(10, throttleTimeMs(rate, quota, now));
        }
        const achieved = bytes / (now / 1000);
        // Over two minutes the achieved rate stays near the quota (bursts of several quotas' worth
        // overshoot by up to about 30%: whole windows expire at once).
        assert.ok(achieved <= quota * 1.5, `achieved ${achieved} for quota ${quota}`);
        assert.ok(achieved >= quota * 0.5, `achieved ${achieved} for quota ${quota}`);
      }),
      { numRuns: 50 },
    );
  });
});

describe("ClientQuotas", () => {
  test("records against the resolved entity and reports throttle times", async () => {
    let now = 1_000_000;
    const store = new ClientQuotaStore();
    const quotas = new ClientQuotas({ store, rate: config, clock: { nowMs: () => now } });
    const alice = { user: "alice", clientId: "app" };
    // No quota configured: nothing is measured.
    assert.equal(quotas.enabled("producer_byte_rate"), false);
    assert.equal(quotas.record("producer_byte_rate", alice, 1_000_000), 0);
    assert.equal(quotas.maxBytesInWindow("producer_byte_rate", alice), Number.POSITIVE_INFINITY);

    await store.apply([{ entity: { user: "alice" }, key: "producer_byte_rate", value: 1000 }]);
    assert.equal(quotas.enabled("producer_byte_rate"), true);
    assert.equal(quotas.enabled("consumer_byte_rate"), false);
    assert.equal(quotas.maxBytesInWindow("producer_byte_rate", alice), 10_000);
    assert.equal(quotas.record("producer_byte_rate", alice, 10_000), 0);
    // 20 000 bytes over a 10 s window against 1000 B/s: one quota's worth over, 10 s of throttle.
    assert.equal(quotas.record("producer_byte_rate", { user: "alice", clientId: "other" }, 10_000), 10_000);
    // Bob has no quota and is not measured.
    assert.equal(quotas.record("producer_byte_rate", { user: "bob", clientId: "app" }, 10_000_000), 0);
    // Taking bytes back brings alice under her quota again.
    quotas.unrecord("producer_byte_rate", alice, 10_000);
    now += 1;
    assert.equal(quotas.record("producer_byte_rate", alice, 0), 0);
  });
});
