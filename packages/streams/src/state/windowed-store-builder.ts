// The builder of the windowed stores (window and session, in memory or persistent): one store per
// task, logged to `<appId>-<name>-changelog` with Kafka's windowed changelog topic configs.

import type { StateStore, StoreBuilder } from "./store.ts";

/** Kafka's `windowstore.changelog.additional.retention.ms` default: changelogs keep one day more than the store. */
export const WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS = 86_400_000;

/** Changelog topic configs of a windowed store with `retentionMs` (Kafka's WindowedChangelogTopicConfig). */
export function windowedChangelogConfigs(
  retentionMs: number,
  overrides: Readonly<Record<string, string>> = {},
): Readonly<Record<string, string>> {
  const retention = Math.min(retentionMs + WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS, Number.MAX_SAFE_INTEGER);
  return {
    "message.timestamp.type": "CreateTime",
    "cleanup.policy": "compact,delete",
    "retention.ms": String(retention),
    ...overrides,
  };
}

/**
 * Builds a windowed store (window or session) per task, logged to `<appId>-<name>-changelog` with
 * Kafka's windowed changelog configs (compact,delete; retention + 1 day) unless logging is disabled.
 */
export class WindowedStoreBuilder<S extends StateStore> implements StoreBuilder<S> {
  readonly name: string;
  readonly logged: boolean;
  readonly changelogConfigs: Readonly<Record<string, string>>;
  readonly retentionMs: number;
  private readonly create: () => S;

  constructor(
    options: { readonly name: string; readonly retentionMs: number; readonly create: () => S },
    logging: Readonly<Record<string, string>> | false = {},
  ) {
    this.name = options.name;
    this.retentionMs = options.retentionMs;
    this.create = options.create;
    this.logged = logging !== false;
    this.changelogConfigs = logging === false ? {} : windowedChangelogConfigs(options.retentionMs, logging);
  }

  /** Logs changes, with these changelog-topic config overrides (logging is on by default). */
  withLoggingEnabled(configs: Readonly<Record<string, string>> = {}): WindowedStoreBuilder<S> {
    return new WindowedStoreBuilder({ name: this.name, retentionMs: this.retentionMs, create: this.create }, configs);
  }

  withLoggingDisabled(): WindowedStoreBuilder<S> {
    return new WindowedStoreBuilder({ name: this.name, retentionMs: this.retentionMs, create: this.create }, false);
  }

  build(): S {
    const store = this.create();
    if (store.name !== this.name) throw new Error(`store builder ${this.name} built a store named ${store.name}`);
    return store;
  }
}

/** The options every windowed store takes. */
export interface WindowedStoreOptions {
  readonly name: string;
  readonly retentionMs: number;
}

/**
 * What each `Stores` function of a windowed store does: validates the options when the topology
 * is built (`create` once), then builds a store per task.
 */
export function windowedStoreBuilder<S extends StateStore>(
  options: WindowedStoreOptions,
  create: () => S,
): WindowedStoreBuilder<S> {
  create(); // validates the options now, not when a task starts
  return new WindowedStoreBuilder({ name: options.name, retentionMs: options.retentionMs, create });
}
