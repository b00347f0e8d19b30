// The shared set-up of the runtime's broker tests: one broker (embedded, or Apache Kafka with
// SAMSA_TEST_TARGET=kafka), a TestCluster and a state root directory per test file, and a
// KafkaStreams whose every instance is closed after its test, even when an assertion failed first.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before } from "node:test";
import type { EmbeddedBroker } from "../src/runtime/embedded.ts";
import { KafkaStreams as Streams } from "../src/runtime/kafka-streams.ts";
import { TestCluster, startTestBroker } from "./runtime-fixtures.ts";

export interface RuntimeHarnessOptions {
  /** Names the state root: `<tmpdir>/samsa-streams-<prefix>-XXXXXX`. */
  readonly prefix: string;
  /** How long each application may take to close after its test (default 10 s). */
  readonly closeTimeoutMs?: number;
  /**
   * Runs once the broker, cluster and state root are ready (e.g. to open more clients). Root-level
   * before() hooks of node:test run concurrently, so a file's own hook could not wait for the broker.
   */
  readonly before?: () => void | Promise<void>;
  /** Runs after each test, before the test's applications are closed (e.g. servers in front of them). */
  readonly afterEach?: () => Promise<void>;
  /** Runs once after the file's tests, before the cluster and the broker are closed (e.g. extra clients). */
  readonly after?: () => Promise<void>;
}

export interface RuntimeHarness {
  /** The broker's `host:port`; from the file's first `before` hook on. */
  readonly bootstrapServers: string;
  readonly cluster: TestCluster;
  /** A fresh directory for the file's state directories, removed after its tests. */
  readonly stateRoot: string;
  /** KafkaStreams that closes every instance created during a test after that test. */
  readonly KafkaStreams: typeof Streams;
}

/** Registers the file's before/afterEach/after hooks; call it once, at the top level of a test file. */
export function useRuntimeHarness(options: RuntimeHarnessOptions): RuntimeHarness {
  const opened: Streams[] = [];
  let broker: EmbeddedBroker | undefined;
  let cluster: TestCluster | undefined;
  let stateRoot: string | undefined;

  before(async () => {
    broker = await startTestBroker();
    cluster = new TestCluster(broker.bootstrapServers);
    stateRoot = await mkdtemp(join(tmpdir(), `samsa-streams-${options.prefix}-`));
    await options.before?.();
  });

  afterEach(async () => {
    await options.afterEach?.();
    for (const streams of opened.splice(0)) await streams.close({ timeoutMs: options.closeTimeoutMs ?? 10_000 });
  });

  after(async () => {
    try {
      await options.after?.();
    } finally {
      await cluster?.close();
      await broker?.close();
      if (stateRoot !== undefined) await rm(stateRoot, { recursive: true, force: true });
    }
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the runtime harness is used before its before() hook ran");
    return value;
  };
  return {
    get bootstrapServers() {
      return started(broker).bootstrapServers;
    },
    get cluster() {
      return started(cluster);
    },
    get stateRoot() {
      return started(stateRoot);
    },
    KafkaStreams: class KafkaStreams extends Streams {
      constructor(...args: ConstructorParameters<typeof Streams>) {
        super(...args);
        opened.push(this);
      }
    },
  };
}
