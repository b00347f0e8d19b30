// Child process for the kill -9 test: appends numbered records to a real-file log (fsync mode) as
// fast as it can and prints each acknowledged sequence number, until it is killed.
import { LogManager } from "../../src/storage/log-manager.ts";
import { NodeFileBackend } from "../../src/storage/node-files.ts";
import { defaultLogConfig } from "../../src/storage/log-config.ts";
import { encodeRecordBatch } from "@samsa/protocol";

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error("usage: crash-child.ts DATA_DIR");
const { manager } = await LogManager.open({
  backend: new NodeFileBackend(),
  dataDir,
  defaults: { ...defaultLogConfig, segmentBytes: 64 * 1024, indexIntervalBytes: 1024 },
});
if (manager.topic("crash") === undefined) await manager.createTopic({ name: "crash", partitions: 1 });
const log = manager.log("crash", 0);
if (log === undefined) throw new Error("no log");
let seq = log.logEndOffset;
const text = new TextEncoder();
process.stdout.write(`start ${seq}\n`);
// Several appends in flight at once, acks=all and acks=1 mixed: both must survive kill -9.
const inFlight = new Set<Promise<void>>();
for (;;) {
  const count = 1 + (seq % 3);
  const first = seq;
  seq += count;
  const batch = encodeRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({
      key: null,
      value: text.encode(`seq-${first + i}`),
      timestamp: BigInt(Date.now()),
    })),
  });
  const acks = first % 2 === 0 ? -1 : 1;
  const p = log.append(batch, { requiredAcks: acks, leaderEpoch: 0 }).then((r) => {
    if (r.errorCode !== 0) throw new Error(`append failed with ${r.errorCode}`);
    process.stdout.write(`ack ${first + count - 1}\n`);
  });
  inFlight.add(p);
  void p.finally(() => inFlight.delete(p));
  if (inFlight.size >= 8) await Promise.race(inFlight);
}
