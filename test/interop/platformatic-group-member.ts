// A long-running @platformatic/kafka group consumer (classic protocol) in its own process, so that
// test/interop/consumer-groups.test.ts can SIGKILL it like the other clients' members.
//
// Usage: node platformatic-group-member.ts <bootstrap> '<JSON config>'
//   config: {"topic", "groupId", "clientId", "sessionTimeoutMs", "heartbeatIntervalMs", "autoCommitIntervalMs"}
// Prints one JSON object a line: {"event": "assigned", "partitions": [..]} after every join and
// {"event": "record", "partition", "offset", "value"}. Resumes from committed offsets (else the
// earliest); auto-commits. SIGTERM closes the consumer (leaving the group); SIGKILL does not.
import { Consumer } from "@platformatic/kafka";

interface MemberConfig {
  readonly topic: string;
  readonly groupId: string;
  readonly clientId: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly autoCommitIntervalMs: number;
}

const emit = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

const [bootstrap, configText] = process.argv.slice(2);
if (bootstrap === undefined || configText === undefined) {
  process.stderr.write("usage: platformatic-group-member.ts <bootstrap> '<JSON config>'\n");
  process.exit(2);
}
const config = JSON.parse(configText) as MemberConfig;

const consumer = new Consumer({
  clientId: config.clientId,
  bootstrapBrokers: [bootstrap],
  groupId: config.groupId,
  sessionTimeout: config.sessionTimeoutMs,
  rebalanceTimeout: Math.max(config.sessionTimeoutMs, 30_000),
  heartbeatInterval: config.heartbeatIntervalMs,
  retries: 10,
  timeout: 30_000,
});
consumer.on("consumer:group:join", (payload) => {
  const partitions = (payload.assignments ?? []).filter((a) => a.topic === config.topic).flatMap((a) => a.partitions);
  emit({ event: "assigned", partitions: partitions.sort((a, b) => a - b) });
});

const stream = await consumer.consume({
  topics: [config.topic],
  mode: "committed",
  fallbackMode: "earliest",
  autocommit: config.autoCommitIntervalMs,
});
stream.on("data", (message) => {
  emit({
    event: "record",
    partition: message.partition,
    offset: Number(message.offset),
    value: message.value.toString("utf8"),
  });
});
stream.on("error", (error: unknown) => emit({ event: "error", error: String(error) }));

process.once("SIGTERM", () => {
  void (async () => {
    await stream.close();
    await consumer.close(true);
    process.exit(0);
  })();
});
