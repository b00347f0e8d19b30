// `samsa topic backup` and `samsa topic restore`: a point-in-time copy of a topic's committed
// records (keys, values, headers, timestamps, partitions) and its topic configs into a portable
// file (../backup/format.ts), and back into any cluster. Backup writes to FILE.partial and
// renames when complete, so an interrupted backup never looks like a finished one. Restore
// checks the whole file before writing anything (unless reading stdin or --no-verify).
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { createGunzip, createGzip } from "node:zlib";
import { compatibilityPartitioner } from "@platformatic/kafka";
import type { Admin, MessageToProduce } from "@platformatic/kafka";
import { BackupDecoder, encodeHeader, encodeRecord, encodeTrailer } from "../backup/format.ts";
import type { BackupEntry, BackupHeader } from "../backup/format.ts";
import type { Command, Context } from "../framework/command.ts";
import { closeQuietly, connectionSettings, createAdmin, createProducer, using } from "../framework/connection.ts";
import {
  BadInputError,
  CliError,
  describeFailure,
  ExitCode,
  InterruptedError,
  kafkaErrorNames,
} from "../framework/errors.ts";
import { formatBytes, formatCount, formatDuration } from "../framework/output.ts";
import { Progress } from "../framework/progress.ts";
import { earliest, latest, listOffsets, topicConfigs, topicInfo } from "../kafka/cluster.ts";
import { PartitionFetcher } from "../kafka/fetcher.ts";
import { parseAcks } from "./produce.ts";

function writeChunk(stream: Writable, text: string): Promise<void> | undefined {
  if (stream.write(text)) return undefined;
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      stream.off("drain", onDrain);
      reject(error);
    };
    const onDrain = (): void => {
      stream.off("error", onError);
      resolve();
    };
    stream.once("drain", onDrain);
    stream.once("error", onError);
  });
}

function finishStream(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once("error", reject);
    stream.end(() => resolve());
  });
}

export const backupCommand: Command = {
  spec: {
    name: "topic backup",
    summary: "Copy a topic's committed records and configs to a portable file (a point-in-time copy).",
    connects: true,
    positionals: [{ name: "TOPIC", description: "the topic" }],
    options: {
      file: {
        type: "string",
        short: "f",
        value: "FILE",
        description: "where to write (required; '-' for stdout; gzip-compressed when it ends in .gz)",
      },
      "no-progress": { type: "boolean", description: "never draw the progress bar" },
    },
    notes: [
      "The copy holds every committed record from each partition's log start up to the end it had\nwhen the backup began. The format is described in docs/cli.md (JSON lines, versioned).",
    ],
    examples: [
      "samsa topic backup orders -f orders.jsonl.gz",
      "samsa topic backup orders -f - | ssh host samsa topic restore -",
    ],
  },
  async run(args, context) {
    const topic = args.positional(0);
    const file = args.string("file");
    if (file === undefined) throw new CliError("--file is required ('-' for stdout)", { exitCode: ExitCode.usage });
    const settings = connectionSettings(args, context);
    const started = context.now();
    return using(createAdmin(settings), async (admin) => {
      const info = await topicInfo(admin, topic);
      const partitions = info.partitions.map((p) => p.partition);
      const [configs, starts, ends] = await Promise.all([
        topicConfigs(admin, topic),
        listOffsets(admin, topic, partitions, earliest, 1),
        listOffsets(admin, topic, partitions, latest, 1),
      ]);
      const ranges = partitions.map((partition) => ({
        partition,
        start: Number(starts.get(partition) ?? 0n),
        end: Number(ends.get(partition) ?? 0n),
      }));
      const header: BackupHeader = {
        topic,
        partitions: partitions.length,
        configs: Object.fromEntries(
          configs
            .filter((c) => c.source === "topic" && c.value !== null && !c.sensitive)
            .map((c) => [c.name, c.value ?? ""]),
        ),
        createdAt: new Date(started).toISOString(),
        ranges,
      };
      const toStdout = file === "-";
      const partial = `${file}.partial`;
      const fileStream: Writable = toStdout ? process.stdout : createWriteStream(partial);
      const gzip = !toStdout && file.endsWith(".gz") ? createGzip({ level: 6 }) : undefined;
      if (gzip !== undefined) gzip.pipe(fileStream);
      const out: Writable = gzip ?? fileStream;
      const progress = new Progress({
        stream: context.stderr,
        enabled: context.stderrIsTTY && !args.flag("no-progress"),
        noun: "records",
        total: ranges.reduce((s, r) => s + (r.end - r.start), 0),
        totalUnit: "items",
      });
      let records = 0;
      let complete = false;
      // Even an exit forced by a second Ctrl-C leaves no partial file behind.
      const removePartial = (): void => rmSync(partial, { force: true });
      if (!toStdout) process.once("exit", removePartial);
      try {
        await writeChunk(out, encodeHeader(header));
        const fetcher = new PartitionFetcher({
          admin,
          topic,
          start: new Map(ranges.map((r) => [r.partition, BigInt(r.start)])),
          isolationLevel: 1,
        });
        const endOf = new Map(ranges.map((r) => [r.partition, BigInt(r.end)]));
        let lastPositions = new Map(fetcher.positions);
        for (;;) {
          if (context.signal.aborted) break;
          const pending = [...fetcher.positions].filter(([p, o]) => o < (endOf.get(p) ?? 0n)).map(([p]) => p);
          if (pending.length === 0) break;
          const fetched = await fetcher.fetch({ maxWaitMs: 200, partitions: pending, signal: context.signal });
          let bytes = 0;
          let written = 0;
          for (const r of fetched) {
            if (r.offset >= (endOf.get(r.partition) ?? 0n)) continue;
            if (r.offset > BigInt(Number.MAX_SAFE_INTEGER))
              throw new CliError(
                `offset ${r.offset} of partition ${r.partition} is beyond what the backup format holds (2^53)`,
              );
            await writeChunk(
              out,
              encodeRecord({
                partition: r.partition,
                offset: Number(r.offset),
                timestamp: Number(r.timestamp),
                key: r.key,
                value: r.value,
                headers: r.headers,
              }),
            );
            bytes += r.bytes;
            written++;
          }
          records += written;
          // Progress in offsets (compacted topics and transaction markers leave gaps in records).
          let advanced = 0;
          for (const [p, o] of fetcher.positions) {
            const end = endOf.get(p) ?? 0n;
            advanced += Number((o > end ? end : o) - (lastPositions.get(p) ?? o));
          }
          lastPositions = new Map(fetcher.positions);
          progress.add(advanced, bytes);
        }
        if (!context.signal.aborted) {
          await writeChunk(out, encodeTrailer(records));
          complete = true;
        }
        if (!toStdout) {
          await finishStream(out);
          if (gzip !== undefined) await new Promise<void>((resolve) => fileStream.once("close", resolve));
        }
      } finally {
        progress.finish({ clear: true });
        if (!toStdout) {
          process.off("exit", removePartial);
          if (complete) renameSync(partial, file);
          else {
            fileStream.destroy();
            rmSync(partial, { force: true });
          }
        }
      }
      const summary = `backed up ${formatCount(records)} records of ${topic} (${partitions.length} partitions) to ${file}${
        toStdout ? "" : ` (${formatBytes(statSync(file).size)})`
      } in ${formatDuration(context.now() - started)}`;
      if (!complete) throw new InterruptedError(`interrupted after ${formatCount(records)} records; no file written`);
      (toStdout ? context.stderr : context.stdout).write(summary + "\n");
      return ExitCode.ok;
    });
  },
};

interface OpenedInput {
  readonly stream: AsyncIterable<Buffer>;
  /** Compressed bytes read so far (for progress against the file size). */
  readonly bytesRead: () => number;
  readonly size: number | undefined;
  close(): void;
}

function openBackup(file: string, stdin: Readable): OpenedInput {
  if (file === "-") {
    let read = 0;
    const counted = (async function* (): AsyncGenerator<Buffer> {
      for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        read += bytes.length;
        yield bytes;
      }
    })();
    return { stream: counted, bytesRead: () => read, size: undefined, close: () => undefined };
  }
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new BadInputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const raw = createReadStream(file, { highWaterMark: 1024 * 1024 });
  let read = 0;
  raw.on("data", (chunk: string | Buffer) => (read += chunk.length));
  // Compressed or not is told by the gzip magic number, not the name.
  const stream = (async function* (): AsyncGenerator<Buffer> {
    const gunzip = createGunzip();
    const iterator = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await iterator.next();
    if (first.done === true) return;
    const head = first.value;
    const gzipped = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    if (!gzipped) {
      yield head;
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield next.value;
      }
    }
    const feed = (async (): Promise<void> => {
      try {
        gunzip.write(head);
        for (;;) {
          const next = await iterator.next();
          if (next.done === true) break;
          if (!gunzip.write(next.value)) await new Promise((resolve) => gunzip.once("drain", resolve));
        }
        gunzip.end();
      } catch (error) {
        gunzip.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    })();
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
    } catch (error) {
      throw new BadInputError(`${file}: not a readable gzip stream (${(error as Error).message})`);
    }
    await feed;
  })();
  return { stream, bytesRead: () => read, size, close: () => raw.destroy() };
}

/** Reads and checks a whole backup file; returns its header and record count. */
async function verify(
  file: string,
  context: Context,
  showProgress: boolean,
): Promise<{ header: BackupHeader; records: number }> {
  const input = openBackup(file, context.stdin);
  const decoder = new BackupDecoder();
  const progress = new Progress({
    stream: context.stderr,
    enabled: showProgress,
    noun: "records checked",
    ...(input.size === undefined ? {} : { total: input.size, totalUnit: "bytes" as const }),
    delayMs: 500,
  });
  try {
    for await (const chunk of input.stream) {
      if (context.signal.aborted) throw new InterruptedError("interrupted while checking the file; nothing restored");
      const entries = decoder.push(chunk);
      progress.add(entries.length, 0);
      progress.add(0, input.bytesRead() - progress.bytes);
    }
    decoder.end();
  } finally {
    progress.finish({ clear: true });
    input.close();
  }
  const header = decoder.header;
  if (header === undefined) throw new BadInputError(`${file} is empty`);
  return { header, records: decoder.records };
}

async function ensureTopic(
  admin: Admin,
  options: { topic: string; header: BackupHeader; withConfigs: boolean; keepPartitions: boolean },
): Promise<{ partitions: number; created: boolean }> {
  const { topic, header } = options;
  try {
    const existing = await topicInfo(admin, topic);
    if (options.keepPartitions && existing.partitions.length < header.partitions)
      throw new CliError(
        `topic ${JSON.stringify(topic)} has ${existing.partitions.length} partitions, the backup ${header.partitions}`,
        { hint: `'samsa topic add-partitions ${topic} --to ${header.partitions}', or --partitioning key` },
      );
    return { partitions: existing.partitions.length, created: false };
  } catch (error) {
    if (!(error instanceof CliError) || error.exitCode !== ExitCode.notFound) throw error;
  }
  const configs = options.withConfigs ? Object.entries(header.configs).map(([name, value]) => ({ name, value })) : [];
  try {
    await admin.createTopics({
      topics: [topic],
      partitions: header.partitions,
      ...(configs.length > 0 ? { configs } : {}),
    });
  } catch (error) {
    if (!kafkaErrorNames(error).includes("TOPIC_ALREADY_EXISTS"))
      throw describeFailure(error, `creating topic ${JSON.stringify(topic)}`);
  }
  // Wait (bounded) until the new topic's partitions have leaders.
  for (let attempt = 0; attempt < 50; attempt++) {
    const info = await topicInfo(admin, topic).catch(() => undefined);
    if (
      info !== undefined &&
      info.partitions.length >= header.partitions &&
      info.partitions.every((p) => p.leader >= 0)
    )
      return { partitions: info.partitions.length, created: true };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new CliError(`topic ${JSON.stringify(topic)} was created but its partitions have no leader yet`);
}

export const restoreCommand: Command = {
  spec: {
    name: "topic restore",
    summary:
      "Write the records of a backup file into a topic (created with the backup's partitions and configs if missing).",
    connects: true,
    positionals: [{ name: "FILE", description: "a file written by 'samsa topic backup' ('-' for stdin)" }],
    options: {
      topic: {
        type: "string",
        short: "t",
        value: "NAME",
        description: "restore into NAME (default: the backed-up topic's name)",
      },
      partitioning: {
        type: "string",
        value: "keep|key",
        description: "keep: each record to its original partition (default); key: partition by key as producers do",
      },
      "no-configs": { type: "boolean", description: "create the topic without the backed-up configs" },
      "no-verify": { type: "boolean", description: "do not check the whole file before writing" },
      acks: { type: "string", value: "all|1", description: "acknowledgements to wait for (default all)" },
      "no-progress": { type: "boolean", description: "never draw the progress bar" },
    },
    notes: [
      "Keys, values, headers and timestamps are written as they were (CreateTime; a topic with\nmessage.timestamp.type=LogAppendTime replaces them). Offsets are new: the target's own.",
    ],
    examples: [
      "samsa topic restore orders.jsonl.gz",
      "samsa topic restore orders.jsonl.gz --topic orders-copy --partitioning key",
    ],
  },
  async run(args, context) {
    const file = args.positional(0);
    const partitioning = args.oneOf("partitioning", ["keep", "key"] as const) ?? "keep";
    const acks = parseAcks(args.string("acks"));
    if (acks === 0) throw new CliError("--acks 0 cannot confirm a restore; use all or 1", { exitCode: ExitCode.usage });
    const settings = connectionSettings(args, context);
    const showProgress = context.stderrIsTTY && !args.flag("no-progress");
    const started = context.now();
    const checked = file !== "-" && !args.flag("no-verify") ? await verify(file, context, showProgress) : undefined;

    const admin = createAdmin(settings);
    const producer = createProducer(settings, { acks, compression: "lz4", idempotent: acks === -1 });
    const input = openBackup(file, context.stdin);
    const decoder = new BackupDecoder();
    const progress = new Progress({
      stream: context.stderr,
      enabled: showProgress,
      noun: "records",
      ...(checked !== undefined
        ? { total: checked.records, totalUnit: "items" as const }
        : input.size === undefined
          ? {}
          : { total: input.size, totalUnit: "bytes" as const }),
    });
    let topic = args.string("topic");
    let partitions = 0;
    let sticky = 0;
    let restored = 0;
    let batch: MessageToProduce[] = [];
    let batchBytes = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const messages = batch;
      batch = [];
      const bytes = batchBytes;
      batchBytes = 0;
      sticky = (sticky + 1) % Math.max(1, partitions);
      try {
        await producer.send({ messages, acks });
      } catch (error) {
        throw describeFailure(error, `restoring into ${topic ?? "the topic"} (after ${restored} records)`);
      }
      restored += messages.length;
      progress.add(
        messages.length,
        checked === undefined && input.size !== undefined ? input.bytesRead() - progress.bytes : bytes,
      );
    };
    const take = async (entry: BackupEntry): Promise<void> => {
      if (entry.kind === "header") {
        topic ??= entry.header.topic;
        const ensured = await ensureTopic(admin, {
          topic,
          header: entry.header,
          withConfigs: !args.flag("no-configs"),
          keepPartitions: partitioning === "keep",
        });
        partitions = ensured.partitions;
        sticky = Math.floor(Math.random() * partitions);
        return;
      }
      const r = entry.record;
      // Null values (tombstones) and null header values go through as null: the client library
      // writes length -1 for them, though its types only name Buffer.
      const message: MessageToProduce = {
        topic: topic ?? "",
        value: r.value as Buffer,
        timestamp: BigInt(r.timestamp),
        ...(r.key === null ? {} : { key: r.key }),
        ...(r.headers.length === 0
          ? {}
          : { headers: new Map(r.headers.map(([k, v]) => [Buffer.from(k), v as Buffer])) }),
      };
      message.partition =
        partitioning === "keep" ? r.partition : r.key === null ? sticky : compatibilityPartitioner(message, r.key);
      batch.push(message);
      batchBytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
      if (batch.length >= 2000 || batchBytes >= 1024 * 1024) await flush();
    };
    try {
      for await (const chunk of input.stream) {
        if (context.signal.aborted) break;
        for (const entry of decoder.push(chunk)) await take(entry);
      }
      if (!context.signal.aborted) {
        decoder.end();
        await flush();
      }
    } catch (error) {
      if (error instanceof BadInputError && restored + batch.length > 0)
        throw new BadInputError(`${error.message} (after restoring ${restored} records)`, { cause: error });
      throw error;
    } finally {
      progress.finish({ clear: true });
      input.close();
      await closeQuietly(producer);
      await closeQuietly(admin);
    }
    const summary = `restored ${formatCount(restored)} records into ${topic ?? "?"} in ${formatDuration(context.now() - started)}`;
    if (context.signal.aborted) throw new InterruptedError(`interrupted: ${summary}`);
    context.stdout.write(summary + "\n");
    return ExitCode.ok;
  },
};
