// Broker configuration: defaults, layering (file < env < flags), Kafka's setting names and their
// hours/minutes variants, refusal of unknown or invalid settings, .properties parsing and the
// SAMSA_* environment mapping.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  brokerSettingDefaults,
  ConfigError,
  parseProperties,
  PropertiesError,
  resolveBrokerConfig,
  settingsFromEnv,
} from "../src/index.ts";
import { defaultLogConfig } from "../src/storage/log-config.ts";

/** Asserts that resolving `settings` fails with a ConfigError naming `setting`. */
function assertRefused(settings: Record<string, string>, setting: string, message?: RegExp): void {
  assert.throws(
    () => resolveBrokerConfig(settings),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
      assert.equal(error.setting, setting);
      assert.ok(error.message.startsWith(`${setting}: `), `the message names the setting: ${error.message}`);
      if (message !== undefined) assert.match(error.message, message);
      return true;
    },
  );
}

describe("resolveBrokerConfig defaults", () => {
  test("no settings gives Kafka's defaults", () => {
    const config = resolveBrokerConfig();
    assert.equal(config.nodeId, 0);
    assert.equal(config.dataDir, "./data");
    assert.deepEqual(config.listen, { host: "127.0.0.1", port: 9092 });
    assert.equal(config.advertise, undefined);
    assert.equal(config.numPartitions, 1);
    assert.equal(config.defaultReplicationFactor, 1);
    assert.equal(config.autoCreateTopics, true);
    assert.equal(config.socketRequestBytesMax, 104_857_600);
    assert.equal(config.connectionsMax, 2_147_483_647);
    assert.equal(config.connectionsPerIpMax, 2_147_483_647);
    assert.equal(config.connectionIdleMs, 600_000);
    assert.equal(config.requestReadTimeoutMs, 30_000);
    assert.equal(config.connectionInflightBytesMax, 104_857_600);
    assert.equal(config.connectionInflightRequestsMax, 100);
    assert.deepEqual(config.durability, { mode: "fsync" });
    assert.equal(config.retentionCheckIntervalMs, 300_000);
    assert.equal(config.checkpointIntervalMs, 60_000);
    assert.equal(config.openFilesMax, 1024);
    assert.equal(config.metricsListen, undefined);
    assert.equal(config.logLevel, "info");
    assert.deepEqual(config.logDefaults, defaultLogConfig);
  });

  test("the documented defaults resolve to the same config as no settings at all", () => {
    assert.deepEqual(resolveBrokerConfig({ ...brokerSettingDefaults }), resolveBrokerConfig());
  });

  test("topic defaults are Kafka's", () => {
    const { logDefaults } = resolveBrokerConfig();
    assert.equal(logDefaults.retentionMs, 7 * 24 * 3_600_000);
    assert.equal(logDefaults.segmentMs, 7 * 24 * 3_600_000);
    assert.equal(logDefaults.segmentBytes, 1_073_741_824);
    assert.equal(logDefaults.maxMessageBytes, 1_048_588);
    assert.equal(logDefaults.retentionBytes, -1);
    assert.deepEqual(logDefaults.cleanupPolicy, { delete: true, compact: false });
  });
});

describe("layering", () => {
  test("later layers win: file < env < flags", () => {
    const file = parseProperties("num.partitions=2\nlog.retention.ms=1000\nnode.id=7\n");
    const env = settingsFromEnv({ SAMSA_NUM_PARTITIONS: "3", SAMSA_LOG_RETENTION_MS: "2000" });
    const flags = { "num.partitions": "4" };
    const config = resolveBrokerConfig(file, env, flags);
    assert.equal(config.numPartitions, 4, "flags beat env and file");
    assert.equal(config.logDefaults.retentionMs, 2000, "env beats file");
    assert.equal(config.nodeId, 7, "the file applies where nothing overrides it");
  });

  test("an unknown name in any layer is refused, even when a later layer is valid", () => {
    assert.throws(() => resolveBrokerConfig({ "num.partitons": "3" }, { "num.partitions": "3" }), ConfigError);
  });

  test("listeners, advertised.listeners and the metrics listener", () => {
    const config = resolveBrokerConfig({
      listeners: "PLAINTEXT://0.0.0.0:19092",
      "advertised.listeners": "PLAINTEXT://broker.example.com:29092",
      "samsa.metrics.listen": "127.0.0.1:0",
    });
    assert.deepEqual(config.listen, { host: "0.0.0.0", port: 19092 });
    assert.deepEqual(config.advertise, { host: "broker.example.com", port: 29092 });
    assert.deepEqual(config.metricsListen, { host: "127.0.0.1", port: 0 });
    // Without a protocol prefix, and IPv6 in brackets.
    assert.deepEqual(resolveBrokerConfig({ listeners: "[::1]:9093" }).listen, { host: "::1", port: 9093 });
    assert.deepEqual(resolveBrokerConfig({ listeners: "plaintext://localhost:9094" }).listen, {
      host: "localhost",
      port: 9094,
    });
  });

  test("log.dir is accepted for log.dirs; log.dirs wins when both are given", () => {
    assert.equal(resolveBrokerConfig({ "log.dir": "/var/samsa" }).dataDir, "/var/samsa");
    assert.equal(resolveBrokerConfig({ "log.dir": "/a", "log.dirs": "/b" }).dataDir, "/b");
  });

  test("settings Kafka has but a single node ignores are accepted", () => {
    const config = resolveBrokerConfig({
      "process.roles": "broker,controller",
      "controller.quorum.voters": "1@localhost:9093",
      "offsets.topic.replication.factor": "1",
      "num.network.threads": "3",
      "broker.id": "1",
    });
    assert.equal(config.nodeId, 0);
  });

  test("durability modes", () => {
    assert.deepEqual(resolveBrokerConfig({ "samsa.log.durability": "os" }).durability, { mode: "os" });
    assert.deepEqual(
      resolveBrokerConfig({ "samsa.log.durability": "interval", "samsa.log.flush.interval.ms": "250" }).durability,
      { mode: "interval", intervalMs: 250 },
    );
  });
});

describe("Kafka name mapping", () => {
  test("log.retention.ms beats log.retention.minutes, which beats log.retention.hours", () => {
    const hours = { "log.retention.hours": "2" };
    const minutes = { "log.retention.minutes": "3" };
    const ms = { "log.retention.ms": "4000" };
    assert.equal(resolveBrokerConfig(hours).logDefaults.retentionMs, 2 * 3_600_000);
    assert.equal(resolveBrokerConfig(minutes).logDefaults.retentionMs, 3 * 60_000);
    assert.equal(resolveBrokerConfig({ ...hours, ...minutes }).logDefaults.retentionMs, 3 * 60_000);
    assert.equal(resolveBrokerConfig({ ...hours, ...minutes, ...ms }).logDefaults.retentionMs, 4000);
    assert.equal(resolveBrokerConfig({ ...hours, ...ms }).logDefaults.retentionMs, 4000);
  });

  test("a negative retention in any unit means unlimited (-1), as in Kafka", () => {
    assert.equal(resolveBrokerConfig({ "log.retention.ms": "-1" }).logDefaults.retentionMs, -1);
    assert.equal(resolveBrokerConfig({ "log.retention.minutes": "-1" }).logDefaults.retentionMs, -1);
    assert.equal(resolveBrokerConfig({ "log.retention.hours": "-1" }).logDefaults.retentionMs, -1);
    assert.equal(resolveBrokerConfig({ "log.retention.ms": "-2" }).logDefaults.retentionMs, -1);
    // A negative ms still beats a positive number of hours.
    assert.equal(
      resolveBrokerConfig({ "log.retention.ms": "-1", "log.retention.hours": "1" }).logDefaults.retentionMs,
      -1,
    );
  });

  test("an enormous retention is clamped to the largest exact integer, not refused", () => {
    const config = resolveBrokerConfig({ "log.retention.hours": "9223372036854775807" });
    assert.equal(config.logDefaults.retentionMs, Number.MAX_SAFE_INTEGER);
  });

  test("log.roll.hours sets segment.ms unless log.roll.ms is given", () => {
    assert.equal(resolveBrokerConfig({ "log.roll.hours": "5" }).logDefaults.segmentMs, 5 * 3_600_000);
    assert.equal(resolveBrokerConfig({ "log.roll.hours": "5", "log.roll.ms": "60000" }).logDefaults.segmentMs, 60_000);
  });

  test("message.max.bytes is the default of max.message.bytes", () => {
    assert.equal(resolveBrokerConfig({ "message.max.bytes": "2000000" }).logDefaults.maxMessageBytes, 2_000_000);
  });

  test("log.cleanup.policy, log.segment.bytes and friends map onto topic defaults", () => {
    const { logDefaults } = resolveBrokerConfig({
      "log.cleanup.policy": "compact,delete",
      "log.segment.bytes": "1048576",
      "log.retention.bytes": "5000000",
      "log.message.timestamp.type": "LogAppendTime",
      "log.cleaner.delete.retention.ms": "1000",
      "log.cleaner.min.cleanable.ratio": "0.25",
      "log.cleaner.min.compaction.lag.ms": "10",
      "log.index.interval.bytes": "1024",
    });
    assert.deepEqual(logDefaults.cleanupPolicy, { delete: true, compact: true });
    assert.equal(logDefaults.segmentBytes, 1_048_576);
    assert.equal(logDefaults.retentionBytes, 5_000_000);
    assert.equal(logDefaults.timestampType, "LogAppendTime");
    assert.equal(logDefaults.deleteRetentionMs, 1000);
    assert.equal(logDefaults.minCleanableDirtyRatio, 0.25);
    assert.equal(logDefaults.minCompactionLagMs, 10);
    assert.equal(logDefaults.indexIntervalBytes, 1024);
    assert.deepEqual(resolveBrokerConfig({ "log.cleanup.policy": "compact" }).logDefaults.cleanupPolicy, {
      delete: false,
      compact: true,
    });
  });

  test("Long.MAX_VALUE (Kafka's 'no limit') is accepted", () => {
    const config = resolveBrokerConfig({ "log.message.timestamp.before.max.ms": "9223372036854775807" });
    assert.equal(config.logDefaults.timestampBeforeMaxMs, Number.MAX_SAFE_INTEGER);
  });
});

describe("max.connections.per.ip.overrides", () => {
  test("address:count entries, IPv6 and IPv4-mapped addresses in canonical form", () => {
    const config = resolveBrokerConfig({
      "max.connections.per.ip.overrides": " 10.0.0.1:5, 2001:DB8:0:0::1:0 ,::ffff:10.0.0.2:7",
    });
    assert.deepEqual(
      [...config.connectionsPerIpOverrides],
      [
        ["10.0.0.1", 5],
        ["2001:db8::1", 0],
        ["10.0.0.2", 7],
      ],
    );
    assert.equal(resolveBrokerConfig({}).connectionsPerIpOverrides.size, 0);
  });

  test("host names, missing counts and bad numbers are refused", () => {
    for (const value of ["broker.example.com:5", "10.0.0.1", "10.0.0.1:", "10.0.0.1:-1", ":5", "10.0.0.1:x"]) {
      assertRefused({ "max.connections.per.ip.overrides": value }, "max.connections.per.ip.overrides");
    }
  });
});

describe("invalid values and unknown names", () => {
  test("an unknown name is refused, naming it", () => {
    assertRefused({ "num.partitons": "3" }, "num.partitons", /unknown setting/);
    assertRefused({ "samsa.no.such.thing": "1" }, "samsa.no.such.thing", /unknown setting/);
  });

  test("invalid numbers are refused, naming the setting", () => {
    assertRefused({ "num.partitions": "0" }, "num.partitions", /outside/);
    assertRefused({ "num.partitions": "three" }, "num.partitions", /expected an integer/);
    assertRefused({ "num.partitions": "1.5" }, "num.partitions");
    assertRefused({ "node.id": "-1" }, "node.id");
    assertRefused({ "default.replication.factor": "3" }, "default.replication.factor");
    assertRefused({ "socket.request.max.bytes": "100" }, "socket.request.max.bytes");
    assertRefused({ "max.connections": "0" }, "max.connections");
    assertRefused({ "max.connections.per.ip": "" }, "max.connections.per.ip");
    assertRefused({ "connections.max.idle.ms": "soon" }, "connections.max.idle.ms");
    assertRefused({ "samsa.request.read.timeout.ms": "0" }, "samsa.request.read.timeout.ms");
    assertRefused({ "samsa.connection.inflight.requests.max": "0" }, "samsa.connection.inflight.requests.max");
    assertRefused({ "samsa.connection.inflight.bytes.max": "10" }, "samsa.connection.inflight.bytes.max");
    assertRefused({ "samsa.open.files.max": "2" }, "samsa.open.files.max");
    assertRefused(
      { "samsa.log.durability": "interval", "samsa.log.flush.interval.ms": "0" },
      "samsa.log.flush.interval.ms",
    );
  });

  test("invalid booleans, enums and addresses are refused, naming the setting", () => {
    assertRefused({ "auto.create.topics.enable": "yes" }, "auto.create.topics.enable", /true or false/);
    assertRefused({ "samsa.log.durability": "sometimes" }, "samsa.log.durability");
    assertRefused({ "samsa.log.level": "trace" }, "samsa.log.level");
    assertRefused({ listeners: "SSL://127.0.0.1:9093" }, "ssl.keystore.location", /uses TLS/);
    assertRefused({ listeners: "localhost" }, "listeners", /HOST:PORT/);
    assertRefused({ listeners: "localhost:70000" }, "listeners", /port/);
    assertRefused({ "advertised.listeners": "nowhere" }, "advertised.listeners");
    assertRefused({ "samsa.metrics.listen": "9100" }, "samsa.metrics.listen");
    assertRefused({ "log.dirs": "/a,/b" }, "log.dirs", /exactly one/);
  });

  test("invalid topic defaults are refused under their broker names", () => {
    assertRefused({ "log.cleanup.policy": "shred" }, "log.cleanup.policy");
    assertRefused({ "log.segment.bytes": "10" }, "log.segment.bytes");
    assertRefused({ "log.retention.ms": "forever" }, "log.retention.ms");
    assertRefused({ "log.retention.minutes": "ten" }, "log.retention.minutes");
    assertRefused({ "log.retention.hours": "1h" }, "log.retention.hours");
    assertRefused({ "log.roll.hours": "0" }, "log.roll.hours");
    assertRefused({ "log.roll.ms": "0" }, "log.roll.ms");
    assertRefused({ "message.max.bytes": "-5" }, "message.max.bytes");
    assertRefused({ "log.message.timestamp.type": "WallClock" }, "log.message.timestamp.type");
    assertRefused({ "log.cleaner.min.cleanable.ratio": "2" }, "log.cleaner.min.cleanable.ratio");
  });
});

describe("parseProperties", () => {
  test("key=value, key: value and key value, with surrounding blanks", () => {
    assert.deepEqual(parseProperties("a=1\nb: 2\nc 3\n  d  =  4  \ne:5\n"), {
      a: "1",
      b: "2",
      c: "3",
      d: "4",
      e: "5",
    });
  });

  test("comments (# and !) and blank lines are skipped", () => {
    const text = ["# a comment", "! another", "", "   ", "   # indented comment", "x=1", ""].join("\n");
    assert.deepEqual(parseProperties(text), { x: "1" });
  });

  test("values keep later separators: listeners and URLs survive", () => {
    assert.deepEqual(parseProperties("listeners=PLAINTEXT://0.0.0.0:9092\nk=a=b:c\n"), {
      listeners: "PLAINTEXT://0.0.0.0:9092",
      k: "a=b:c",
    });
  });

  test("a trailing backslash continues the value on the next line, without its indentation", () => {
    const text = "controller.quorum.voters=1@a:9093,\\\n    2@b:9093,\\\n    3@c:9093\nnext=ok\n";
    assert.deepEqual(parseProperties(text), { "controller.quorum.voters": "1@a:9093,2@b:9093,3@c:9093", next: "ok" });
  });

  test("a continuation line that starts with # is part of the value, not a comment", () => {
    assert.deepEqual(parseProperties("a=x\\\n#y\n"), { a: "x#y" });
  });

  test("a backslash on the last line, CRLF line ends, a key without a value, and the last duplicate winning", () => {
    assert.deepEqual(parseProperties("a=1\r\nb=2\r\nflag\r\na=3\r\nz=end\\"), {
      a: "3",
      b: "2",
      flag: "",
      z: "end",
    });
  });

  test("escapes as Java's Properties.load reads them: \\\\ is one backslash and does not continue the line", () => {
    const text = [
      "ssl.principal.mapping.rules=RULE:^CN=([^\\\\,]+).*$/$1/",
      "even=ends\\\\",
      "next=\\u0041\\tB\\=C",
      "key\\ with\\:seps = v",
    ].join("\n");
    assert.deepEqual(parseProperties(text), {
      "ssl.principal.mapping.rules": "RULE:^CN=([^\\,]+).*$/$1/",
      even: "ends\\",
      next: "A\tB=C",
      "key with:seps": "v",
    });
    assert.throws(() => parseProperties("bad=\\u12G4"), PropertiesError);
  });

  test("an empty text gives no settings", () => {
    assert.deepEqual(parseProperties(""), {});
    assert.deepEqual(parseProperties("\n\n# only comments\n"), {});
  });
});

describe("settingsFromEnv", () => {
  test("SAMSA_LOG_RETENTION_MS becomes log.retention.ms; other variables are ignored", () => {
    assert.deepEqual(
      settingsFromEnv({
        SAMSA_LOG_RETENTION_MS: "1000",
        SAMSA_NUM_PARTITIONS: "3",
        SAMSA_AUTO_CREATE_TOPICS_ENABLE: "false",
        PATH: "/usr/bin",
        KAFKA_NUM_PARTITIONS: "9",
        samsa_lower: "x",
        SAMSA_UNSET: undefined,
      }),
      { "log.retention.ms": "1000", "num.partitions": "3", "auto.create.topics.enable": "false" },
    );
  });

  test("the CLI's and the tests' own variables are not broker settings", () => {
    assert.deepEqual(
      settingsFromEnv({
        SAMSA_BROKERS: "localhost:9092",
        SAMSA_TEST_TARGET: "kafka",
        SAMSA_BENCH_SECONDS: "5",
        SAMSA_FUZZ_SEED: "1",
      }),
      {},
    );
  });

  test("samsa.* settings take a doubled prefix", () => {
    assert.deepEqual(settingsFromEnv({ SAMSA_SAMSA_LOG_LEVEL: "debug" }), { "samsa.log.level": "debug" });
  });

  test("an unknown variable surfaces as an unknown setting when resolved", () => {
    assert.throws(
      () => resolveBrokerConfig(settingsFromEnv({ SAMSA_NUM_PARTITION: "3" })),
      (error: unknown) => error instanceof ConfigError && error.setting === "num.partition",
    );
  });
});
