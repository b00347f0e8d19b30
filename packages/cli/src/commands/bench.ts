// `samsa bench produce|consume`: a quick throughput and latency check of a cluster from where the
// CLI runs. produce sends N records of S bytes (acks, compression, records per request, requests in
// flight) and reports records/s, MiB/s and the acknowledgement latency of its requests (p50, p99,
// max, weighted by records); consume reads a topic from the beginning to its end and reports the
// read throughput. Without --topic both use a temporary topic and delete it afterwards. A check,
// not a benchmark suite: docs/benchmarks.md has the careful numbers.
import { randomBytes } from "node:crypto";
import type { Admin, MessageToProduce, Producer } from "@platformatic/kafka";
import type { Args } from "../framework/args.ts";
import type { Command, CommandGroup, Context } from "../framework/command.ts";
import { sleep } from "../framework/command.ts";
import { closeQuietly, connectionSettings, createAdmin, createProducer } from "../framework/connection.ts";
import type { ConnectionSettings } from "../framework/connection.ts";
import { CliError, describeFailure, ExitCode, InterruptedError } from "../framework/errors.ts";
import { formatBytes, formatCount, formatDuration, toJson } from "../framework/output.ts";
import { Progress } from "../framework/progress.ts";
import { earliest, latest, listOffsets, topicInfo } from "../kafka/cluster.ts";
import { batchSizes, benchPayload, round, summarizeLatency, throughput } from "../kafka/bench-stats.ts";
import type { LatencySample } from "../kafka/bench-stats.ts";
import { PartitionFetcher } from "../kafka/fetcher.ts";
import { compressions, parseAcks } from "./produce.ts";
import type { Compression } from "./produce.ts";
import type { OptionSpec } from "../framework/args.ts";

const topicReadyTimeoutMs = 30_000;

const commonOptions: Readonly<Record<string, OptionSpec>> = {
  topic: {
    type: "string",
    short: "t",
    value: "TOPIC",
    description: "use this existing topic (default: a temporary topic, deleted afterwards)",
  },
  records: { type: "string", short: "n", value: "N", description: "number of records (default 100000)" },
  size: { type: "string", short: "s", value: "BYTES", description: "bytes per record value (default 100)" },
  partitions: {
    type: "string",
    short: "p",
    value: "N",
    description: "partitions of the temporary topic (default 1)",
  },
  keep: { type: "boolean", description: "keep the temporary topic" },
  "no-progress": { type: "boolean", description: "never draw the progress bar" },
};

const produceOptions: Readonly<Record<string, OptionSpec>> = {
  acks: { type: "string", value: "all|1|0", description: "acknowledgements to wait for (default all)" },
  compression: {
    type: "string",
    short: "z",
    value: "CODEC",
    description: "none, gzip, snappy, lz4 or zstd (default none)",
  },
  batch: { type: "string", value: "N", description: "records per produce request (default 500)" },
  "in-flight": { type: "string", value: "N", description: "produce requests in flight at once (default 4)" },
};

interface ProduceSettings {
  readonly records: number;
  readonly size: number;
  readonly acks: 0 | 1 | -1;
  readonly compression: Compression;
  readonly batch: number;
  readonly inFlight: number;
}

function produceSettings(args: Args): ProduceSettings {
  return {
    records: args.int("records", { min: 1, max: 1_000_000_000 }) ?? 100_000,
    size: args.int("size", { min: 0, max: 16 * 1024 * 1024 }) ?? 100,
    acks: parseAcks(args.string("acks")),
    compression: args.oneOf("compression", compressions) ?? "none",
    batch: args.int("batch", { min: 1, max: 100_000 }) ?? 500,
    inFlight: args.int("in-flight", { min: 1, max: 64 }) ?? 4,
  };
}

interface BenchTopic {
  readonly name: string;
  readonly partitions: number;
  readonly temporary: boolean;
}

/** The topic to use: the one given (it must exist), or a new temporary one, ready for produce. */
async function benchTopic(admin: Admin, args: Args, context: Context): Promise<BenchTopic> {
  const given = args.string("topic");
  if (given !== undefined) {
    const info = await topicInfo(admin, given);
    return { name: given, partitions: info.partitions.length, temporary: false };
  }
  const partitions = args.int("partitions", { min: 1, max: 10_000 }) ?? 1;
  const name = `samsa-bench-${randomBytes(6).toString("hex")}`;
  try {
    await admin.createTopics({ topics: [name], partitions, replicas: -1 });
  } catch (error) {
    throw describeFailure(error, `creating the temporary topic ${name}`);
  }
  // Leaders are elected shortly after creation; wait (bounded) until every partition has one.
  const deadline = context.now() + topicReadyTimeoutMs;
  for (;;) {
    try {
      const info = await topicInfo(admin, name);
      if (info.partitions.length === partitions && info.partitions.every((p) => p.leader >= 0))
        return { name, partitions, temporary: true };
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== ExitCode.notFound) throw error;
    }
    if (context.now() > deadline) throw new CliError(`the temporary topic ${name} got no leaders in time`);
    admin.clearMetadata();
    if (!(await sleep(100, context.signal))) throw new InterruptedError();
  }
}

async function dropTopic(admin: Admin, topic: BenchTopic, keep: boolean, context: Context): Promise<void> {
  if (!topic.temporary) return;
  if (keep) {
    context.stderr.write(`kept the temporary topic ${topic.name}\n`);
    return;
  }
  await admin.deleteTopics({ topics: [topic.name] }).catch(() => {
    context.stderr.write(`could not delete the temporary topic ${topic.name}; delete it with 'samsa topic delete'\n`);
  });
}

interface ProduceResult {
  readonly records: number;
  readonly bytes: number;
  readonly elapsedMs: number;
  readonly latencies: LatencySample[];
}

/** Sends `settings.records` records, `inFlight` requests at a time; stops early on Ctrl-C. */
async function produceRecords(
  producer: Producer,
  topic: BenchTopic,
  settings: ProduceSettings,
  progress: Progress | undefined,
  context: Context,
): Promise<ProduceResult> {
  const payload = benchPayload(settings.size);
  const sizes = batchSizes(settings.records, settings.batch);
  const latencies: LatencySample[] = [];
  let next = 0;
  let records = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < sizes.length && !context.signal.aborted) {
      const index = next++;
      const count = sizes[index] ?? 0;
      const partition = index % topic.partitions;
      const messages: MessageToProduce[] = Array.from({ length: count }, () => ({
        topic: topic.name,
        partition,
        value: payload,
      }));
      const sent = performance.now();
      try {
        await producer.send({ messages, acks: settings.acks });
      } catch (error) {
        throw describeFailure(error, `producing to ${topic.name} (after ${records} records)`);
      }
      latencies.push({ latencyMs: performance.now() - sent, weight: count });
      records += count;
      progress?.add(count, count * settings.size);
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.inFlight, sizes.length) }, worker));
  return { records, bytes: records * settings.size, elapsedMs: performance.now() - started, latencies };
}

function progressFor(args: Args, context: Context, total: number): Progress {
  return new Progress({
    stream: context.stderr,
    enabled: context.stderrIsTTY && !args.flag("no-progress"),
    noun: "records",
    total,
    totalUnit: "items",
  });
}

function newProducer(connection: ConnectionSettings, settings: ProduceSettings): Producer {
  // Not idempotent: several requests in flight to one partition, as a benchmark wants.
  return createProducer(connection, { acks: settings.acks, compression: settings.compression, idempotent: false });
}

const produceCommand: Command = {
  spec: {
    name: "bench produce",
    summary: "Measure produce throughput and acknowledgement latency (N records of S bytes).",
    connects: true,
    reads: true,
    options: { ...commonOptions, ...produceOptions },
    notes: [
      "Latency is per produce request (send to acknowledgement), weighted by the records it carried.\n" +
        "-o json prints one object: records, bytes, elapsedMs, recordsPerSec, mibPerSec, latencyMs {p50,p99,max,avg}.",
    ],
    examples: [
      "samsa bench produce -n 1000000 -s 1024",
      "samsa bench produce -n 200000 -z zstd --acks 1 --batch 1000 -p 6",
    ],
  },
  async run(args, context) {
    const settings = produceSettings(args);
    const format = args.output();
    const connection = connectionSettings(args, context);
    const admin = createAdmin(connection);
    let producer: Producer | undefined;
    let topic: BenchTopic | undefined;
    try {
      topic = await benchTopic(admin, args, context);
      producer = newProducer(connection, settings);
      const progress = progressFor(args, context, settings.records);
      let result: ProduceResult;
      try {
        result = await produceRecords(producer, topic, settings, progress, context);
      } finally {
        progress.finish({ clear: true });
      }
      const rate = throughput(result.records, result.bytes, result.elapsedMs);
      const latency = summarizeLatency(result.latencies);
      const report = {
        mode: "produce",
        topic: topic.name,
        temporaryTopic: topic.temporary,
        partitions: topic.partitions,
        records: result.records,
        recordBytes: settings.size,
        bytes: result.bytes,
        acks: settings.acks === -1 ? "all" : String(settings.acks),
        compression: settings.compression,
        batchRecords: settings.batch,
        inFlight: settings.inFlight,
        elapsedMs: round(result.elapsedMs),
        recordsPerSec: round(rate.recordsPerSec, 1),
        mibPerSec: round(rate.mibPerSec),
        latencyMs: {
          p50: round(latency.p50),
          p99: round(latency.p99),
          max: round(latency.max),
          avg: round(latency.avg),
        },
      };
      if (context.signal.aborted)
        throw new InterruptedError(`interrupted after ${formatCount(result.records)} records`);
      if (format === "json") context.stdout.write(toJson(report) + "\n");
      else
        context.stdout.write(
          `produced ${formatCount(report.records)} records of ${formatBytes(settings.size)} (${formatBytes(report.bytes)}) ` +
            `to ${topic.name} in ${formatDuration(result.elapsedMs)}\n` +
            `throughput  ${formatCount(Math.round(rate.recordsPerSec))} records/s, ${rate.mibPerSec.toFixed(2)} MiB/s\n` +
            `latency     p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms ` +
            `(per request of up to ${settings.batch} records, acks=${report.acks}, ${settings.inFlight} in flight)\n`,
        );
      return ExitCode.ok;
    } finally {
      await closeQuietly(producer);
      if (topic !== undefined) await dropTopic(admin, topic, args.flag("keep"), context);
      await closeQuietly(admin);
    }
  },
};

const consumeCommand: Command = {
  spec: {
    name: "bench consume",
    summary: "Measure read throughput: a topic from its beginning to its end (or N records).",
    connects: true,
    reads: true,
    options: commonOptions,
    notes: [
      "Without --topic, N records of S bytes are first written to a temporary topic (not measured), then read.\n" +
        "With --topic, the topic is read from its log start to the end it had at the start (at most -n records).\n" +
        "-o json prints one object: records, bytes, elapsedMs, recordsPerSec, mibPerSec, fetches.",
    ],
    examples: ["samsa bench consume -n 1000000 -s 1024 -p 3", "samsa bench consume --topic orders"],
  },
  async run(args, context) {
    const format = args.output();
    const connection = connectionSettings(args, context);
    const limit = args.int("records", { min: 1, max: 1_000_000_000 });
    const settings: ProduceSettings = {
      records: limit ?? 100_000,
      size: args.int("size", { min: 0, max: 16 * 1024 * 1024 }) ?? 100,
      acks: -1,
      compression: "none",
      batch: 1000,
      inFlight: 4,
    };
    const admin = createAdmin(connection);
    let topic: BenchTopic | undefined;
    try {
      topic = await benchTopic(admin, args, context);
      if (topic.temporary) {
        const producer = newProducer(connection, settings);
        try {
          await produceRecords(producer, topic, settings, undefined, context);
        } finally {
          await closeQuietly(producer);
        }
        if (context.signal.aborted) throw new InterruptedError("interrupted while writing the records to read");
      }
      const partitions = Array.from({ length: topic.partitions }, (_, p) => p);
      const start = await listOffsets(admin, topic.name, partitions, earliest);
      let ends = await listOffsets(admin, topic.name, partitions, latest);
      if (topic.temporary) {
        // The high watermark may trail the acknowledgements for a moment: wait (bounded) for all.
        const deadline = context.now() + topicReadyTimeoutMs;
        const sum = (m: ReadonlyMap<number, bigint>): number => [...m.values()].reduce((a, b) => a + Number(b), 0);
        while (sum(ends) < settings.records) {
          if (context.now() > deadline) throw new CliError(`the records written to ${topic.name} did not all appear`);
          if (!(await sleep(50, context.signal))) throw new InterruptedError();
          ends = await listOffsets(admin, topic.name, partitions, latest);
        }
      }
      const available = partitions.reduce((sum, p) => sum + Number((ends.get(p) ?? 0n) - (start.get(p) ?? 0n)), 0);
      const wanted = topic.temporary ? settings.records : Math.min(limit ?? available, available);
      const progress = progressFor(args, context, wanted);
      const fetcher = new PartitionFetcher({ admin, topic: topic.name, start, isolationLevel: 0 });
      let records = 0;
      let bytes = 0;
      let fetches = 0;
      const started = performance.now();
      try {
        while (records < wanted && !context.signal.aborted) {
          const pending = partitions.filter((p) => (fetcher.positions.get(p) ?? 0n) < (ends.get(p) ?? 0n));
          if (pending.length === 0) break;
          const fetched = await fetcher.fetch({ maxWaitMs: 200, partitions: pending, signal: context.signal });
          fetches++;
          let roundRecords = 0;
          let roundBytes = 0;
          for (const r of fetched) {
            if (r.offset >= (ends.get(r.partition) ?? 0n) || records + roundRecords >= wanted) continue;
            roundRecords++;
            roundBytes += r.bytes;
          }
          records += roundRecords;
          bytes += roundBytes;
          progress.add(roundRecords, roundBytes);
        }
      } finally {
        progress.finish({ clear: true });
      }
      const elapsedMs = performance.now() - started;
      if (context.signal.aborted) throw new InterruptedError(`interrupted after ${formatCount(records)} records`);
      const rate = throughput(records, bytes, elapsedMs);
      const report = {
        mode: "consume",
        topic: topic.name,
        temporaryTopic: topic.temporary,
        partitions: topic.partitions,
        records,
        bytes,
        elapsedMs: round(elapsedMs),
        recordsPerSec: round(rate.recordsPerSec, 1),
        mibPerSec: round(rate.mibPerSec),
        fetches,
      };
      if (format === "json") context.stdout.write(toJson(report) + "\n");
      else
        context.stdout.write(
          `consumed ${formatCount(records)} records (${formatBytes(bytes)}) from ${topic.name} in ${formatDuration(elapsedMs)} ` +
            `(${formatCount(fetches)} fetches)\n` +
            `throughput  ${formatCount(Math.round(rate.recordsPerSec))} records/s, ${rate.mibPerSec.toFixed(2)} MiB/s\n`,
        );
      return ExitCode.ok;
    } finally {
      if (topic !== undefined) await dropTopic(admin, topic, args.flag("keep"), context);
      await closeQuietly(admin);
    }
  },
};

export const benchGroup: CommandGroup = {
  name: "bench",
  summary: "Quick produce and consume throughput and latency checks.",
  commands: [produceCommand, consumeCommand],
};
