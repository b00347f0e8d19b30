// Enforcement of client quotas: one sampled rate per quota entity in use (rate.ts). Produce and
// fetch handlers feed the byte rates; the network server feeds request_percentage with the
// event-loop time each request took (Kafka's request-handler thread time: a percentage of one
// thread over the quota windows). Each record returns how long the client must be held off
// (throttle_time_ms); the server stops reading from the connection for that long after the
// response is sent (KIP-219). With no quota configured for a key every call returns at once,
// before looking anything up.
import { canonicalIp } from "../ip.ts";
import type { Clock } from "../storage/log-config.ts";
import type { RequestContext } from "../context.ts";
import { SampledRate, throttleTimeMs } from "./rate.ts";
import type { RateConfig } from "./rate.ts";
import type { ClientQuotaStore, QuotaKey } from "./quota-store.ts";

/** A nanosecond of processing as a percentage of one thread over one second. */
const nanosToPercentSeconds = 100 / 1e9;

/** Rates idle this long are dropped (Kafka expires its quota sensors after an hour). */
const inactiveRateMs = 3_600_000;

/** Whose quota a request counts against: the principal's name and the header's client id. */
export interface QuotaIdentity {
  readonly user: string;
  readonly clientId: string;
}

export function quotaIdentity(context: RequestContext): QuotaIdentity {
  return { user: context.security?.principal.name ?? "ANONYMOUS", clientId: context.header.clientId ?? "" };
}

export class ClientQuotas {
  readonly store: ClientQuotaStore;
  private readonly rateConfig: RateConfig;
  private readonly clock: Clock;
  private readonly rates = new Map<string, SampledRate>();
  private recordsSinceSweep = 0;

  constructor(options: { store: ClientQuotaStore; rate: RateConfig; clock: Clock }) {
    this.store = options.store;
    this.rateConfig = options.rate;
    this.clock = options.clock;
  }

  /** True when some entity has a quota for `key` (cheap; for the request path). */
  enabled(key: QuotaKey): boolean {
    return this.store.has(key);
  }

  /** Records `bytes` against the identity's quota for `key`; returns the throttle time in ms (0 within quota). */
  record(key: QuotaKey, who: QuotaIdentity, bytes: number): number {
    if (!this.store.has(key)) return 0;
    const quota = this.store.resolve(key, who.user, who.clientId);
    if (quota === undefined) return 0;
    const now = this.clock.nowMs();
    const rate = this.rateFor(quota.sensorKey, now);
    rate.record(bytes, now);
    return throttleTimeMs(rate, quota.bound, now);
  }

  /**
   * Records a request's processing time against the identity's request_percentage quota (as a
   * percentage of one thread for a second: 1 ms is 0.1) and returns the throttle time, at most one
   * quota window, as Kafka bounds it.
   */
  recordRequestTime(who: QuotaIdentity, nanos: number): number {
    if (!this.store.has("request_percentage")) return 0;
    return Math.min(this.record("request_percentage", who, nanos * nanosToPercentSeconds), this.rateConfig.windowMs);
  }

  /**
   * Records a new connection from `ip` against its connection_creation_rate (KIP-612) and returns
   * how long to hold it before closing it when over the quota (at most one quota window); a
   * refused connection is taken back out of the rate, as in Kafka.
   */
  recordConnection(address: string): number {
    if (!this.store.has("connection_creation_rate")) return 0;
    const quota = this.store.resolveIp(canonicalIp(address));
    if (quota === undefined) return 0;
    const now = this.clock.nowMs();
    const rate = this.rateFor(quota.sensorKey, now);
    rate.record(1, now);
    const throttleMs = Math.min(throttleTimeMs(rate, quota.bound, now), this.rateConfig.windowMs);
    if (throttleMs > 0) rate.record(-1, now);
    return throttleMs;
  }

  /** The request_percentage throttle the identity is under now, without recording anything. */
  requestThrottleMs(who: QuotaIdentity): number {
    if (!this.store.has("request_percentage")) return 0;
    const quota = this.store.resolve("request_percentage", who.user, who.clientId);
    if (quota === undefined) return 0;
    const rate = this.rates.get(quota.sensorKey);
    if (rate === undefined) return 0;
    return Math.min(throttleTimeMs(rate, quota.bound, this.clock.nowMs()), this.rateConfig.windowMs);
  }

  /** Takes back bytes recorded for a response that was then not sent with its data (a throttled fetch). */
  unrecord(key: QuotaKey, who: QuotaIdentity, bytes: number): void {
    const quota = this.store.resolve(key, who.user, who.clientId);
    if (quota === undefined) return;
    const now = this.clock.nowMs();
    this.rates.get(quota.sensorKey)?.record(-bytes, now);
  }

  /**
   * The most bytes one response may carry under the identity's quota for `key`: what the quota
   * allows over all but one of the windows; unlimited without a quota.
   */
  maxBytesInWindow(key: QuotaKey, who: QuotaIdentity): number {
    const quota = this.store.resolve(key, who.user, who.clientId);
    if (quota === undefined) return Number.POSITIVE_INFINITY;
    return quota.bound * (this.rateConfig.samples - 1) * (this.rateConfig.windowMs / 1000);
  }

  private rateFor(sensorKey: string, now: number): SampledRate {
    if (++this.recordsSinceSweep >= 1000) {
      this.recordsSinceSweep = 0;
      for (const [k, r] of this.rates) if (now - r.lastRecordMs > inactiveRateMs) this.rates.delete(k);
    }
    let rate = this.rates.get(sensorKey);
    if (rate === undefined) this.rates.set(sensorKey, (rate = new SampledRate(this.rateConfig)));
    return rate;
  }
}
