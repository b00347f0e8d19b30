// DescribeLogDirs: the one data directory with each (requested) partition's size, and the
// filesystem's total and usable bytes. Samsa has no replicas moving between directories, so offset
// lag is 0 and there are no future replicas.
import { statfs } from "node:fs/promises";
import { resolve } from "node:path";
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { DescribeLogDirsResponsePartition, Input } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { BrokerState } from "../context.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnCluster } from "../security/acl-authorizer.ts";

/**
 * Total and usable bytes of the data directory's filesystem; -1 when unknown. startBroker puts an
 * in-memory broker's storage under a path of its own rather than the configured one, so the
 * filesystem is only asked about a directory that the broker really uses.
 */
async function space(broker: BrokerState): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  const unknown = { totalBytes: -1n, usableBytes: -1n };
  if (broker.logs.dataDir !== broker.config.dataDir) return unknown;
  try {
    const fs = await statfs(broker.logs.dataDir, { bigint: true });
    // Usable as in Java's File.getUsableSpace: the blocks an unprivileged process may use.
    return { totalBytes: fs.blocks * fs.bsize, usableBytes: fs.bavail * fs.bsize };
  } catch {
    return unknown;
  }
}

export const describeLogDirsHandler = defineHandler({
  apiKey: ApiKey.DescribeLogDirs,
  // v0 was removed in Kafka 4.
  versions: { min: 1, max: 4 },
  async handle(context, request) {
    const { broker } = context;
    if (!allowedOnCluster(context, Operation.DESCRIBE)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    }
    const { logs } = broker;
    // null asks for every partition; a list asks for those of its partitions that exist.
    const wanted =
      request.topics === null
        ? logs.topics().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) }))
        : request.topics;
    const byTopic = new Map<string, Input<DescribeLogDirsResponsePartition>[]>();
    for (const { topic, partitions } of wanted) {
      for (const partition of new Set(partitions)) {
        const log = logs.log(topic, partition);
        if (log === undefined) continue;
        const list = byTopic.get(topic) ?? [];
        list.push({
          partitionIndex: partition,
          partitionSize: BigInt(log.sizeBytes),
          offsetLag: 0n,
          isFutureKey: false,
        });
        byTopic.set(topic, list);
      }
    }
    const { totalBytes, usableBytes } = await space(broker);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      results: [
        {
          errorCode: 0,
          logDir: broker.logs.dataDir === broker.config.dataDir ? resolve(broker.logs.dataDir) : broker.logs.dataDir,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
          totalBytes,
          usableBytes,
        },
      ],
    };
  },
});
