// `samsa produce TOPIC`: one record per line of stdin or a file, with an optional key separator,
// headers, a fixed partition, compression, acks and a rate limit; a progress bar with throughput
// on a terminal. Keyed records go where Kafka's Java client would put them (murmur2); keyless
// ones stick to one partition per batch, rotating. Ctrl-C stops reading and waits for what was
// sent to be acknowledged.
import { createReadStream, statSync } from "node:fs";
import type { Readable } from "node:stream";
import { compatibilityPartitioner } from "@platformatic/kafka";
import type { MessageToProduce } from "@platformatic/kafka";
import { parseAssignments } from "../framework/args.ts";
import type { Command } from "../framework/command.ts";
import { sleep } from "../framework/command.ts";
import { closeQuietly, connectionSettings, createAdmin, createProducer, using } from "../framework/connection.ts";
import { BadInputError, describeFailure, ExitCode, InterruptedError, UsageError } from "../framework/errors.ts";
import { LineSplitter, rateDelayMs, splitKey, unescapeSeparator } from "../framework/lines.ts";
import { formatBytes, formatCount, formatDuration } from "../framework/output.ts";
import { Progress } from "../framework/progress.ts";
import { selectPartitions, topicInfo } from "../kafka/cluster.ts";

export const compressions = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
export type Compression = (typeof compressions)[number];

export function parseAcks(text: string | undefined): 0 | 1 | -1 {
  switch (text ?? "all") {
    case "all":
    case "-1":
      return -1;
    case "1":
    case "leader":
      return 1;
    case "0":
    case "none":
      return 0;
    default:
      throw new UsageError(`--acks must be all, 1 or 0, got ${JSON.stringify(text)}`);
  }
}

const batchRecordsMax = 2000;
const batchBytesMax = 1024 * 1024;

export const produceCommand: Command = {
  spec: {
    name: "produce",
    summary: "Write records to a topic: one per line of stdin (or --file).",
    connects: true,
    positionals: [{ name: "TOPIC", description: "the topic (it must exist: samsa topic create)" }],
    options: {
      file: { type: "string", short: "f", value: "FILE", description: "read lines from FILE instead of stdin" },
      "key-separator": {
        type: "string",
        short: "k",
        value: "SEP",
        description: "split each line into KEY SEP VALUE at the first SEP (\\t, \\x1f escapes work)",
      },
      delimiter: { type: "string", short: "D", value: "DELIM", description: "record delimiter (default \\n)" },
      header: {
        type: "string",
        short: "H",
        value: "NAME=VALUE",
        multiple: true,
        description: "a header on every record (repeatable)",
      },
      partition: { type: "string", short: "p", value: "N", description: "write every record to partition N" },
      compression: {
        type: "string",
        short: "z",
        value: "CODEC",
        description: "none, gzip, snappy, lz4 or zstd (default none)",
      },
      acks: { type: "string", value: "all|1|0", description: "acknowledgements to wait for (default all, idempotent)" },
      rate: { type: "string", value: "N", description: "at most N records per second" },
      "no-progress": { type: "boolean", description: "never draw the progress bar" },
    },
    notes: ["A progress bar with throughput is drawn on stderr when it is a terminal; the summary follows it."],
    examples: [
      "seq 1000 | samsa produce numbers",
      'samsa produce users -k : <<< \'alice:{"plan":"pro"}\'',
      "samsa produce events -f events.jsonl -z zstd -H source=import --rate 5000",
    ],
  },
  async run(args, context) {
    const topic = args.positional(0);
    const keySeparatorText = args.string("key-separator");
    const keySeparator =
      keySeparatorText === undefined ? undefined : unescapeSeparator(keySeparatorText, "--key-separator");
    const delimiterText = args.string("delimiter");
    const delimiter = delimiterText === undefined ? undefined : unescapeSeparator(delimiterText, "--delimiter");
    const headers = parseAssignments(args.list("header"), "--header");
    const fixedPartition = args.int("partition", { min: 0 });
    const compression = args.oneOf("compression", compressions) ?? "none";
    const acks = parseAcks(args.string("acks"));
    const rate = args.int("rate", { min: 1 });
    const file = args.string("file");
    const settings = connectionSettings(args, context);

    let input: Readable;
    let totalBytes: number | undefined;
    if (file !== undefined) {
      try {
        totalBytes = statSync(file).size;
      } catch (error) {
        throw new BadInputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      input = createReadStream(file, { highWaterMark: 256 * 1024 });
    } else {
      input = context.stdin;
    }

    // The topic must exist (no auto-creation from a typo) and the partition must be in it.
    const partitionCount = await using(createAdmin(settings), async (admin) => {
      const info = await topicInfo(admin, topic);
      if (fixedPartition !== undefined) selectPartitions(info, [fixedPartition]);
      return info.partitions.length;
    });

    const producer = createProducer(settings, { acks, compression, idempotent: acks === -1 });
    const progress = new Progress({
      stream: context.stderr,
      enabled: context.stderrIsTTY && !args.flag("no-progress"),
      noun: "records",
      ...(totalBytes === undefined ? {} : { total: totalBytes, totalUnit: "bytes" as const }),
      delayMs: totalBytes === undefined ? 1000 : 0,
    });
    const splitter = new LineSplitter({ ...(delimiter === undefined ? {} : { delimiter }) });
    const headerBuffers = headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const);
    let stickyPartition = Math.floor(Math.random() * partitionCount);
    let sent = 0;
    let sentBytes = 0;
    const started = context.now();

    const send = async (messages: MessageToProduce[], inputBytes: number): Promise<void> => {
      if (messages.length === 0) return;
      if (rate !== undefined)
        await sleep(rateDelayMs(sent + messages.length, rate, context.now() - started), context.signal);
      if (context.signal.aborted) return; // Ctrl-C: what was read but not sent is dropped
      for (const m of messages) {
        if (m.partition !== undefined) continue;
        m.partition = m.key === undefined ? stickyPartition : compatibilityPartitioner(m, m.key);
      }
      stickyPartition = (stickyPartition + 1) % partitionCount;
      try {
        await producer.send({ messages, acks });
      } catch (error) {
        throw describeFailure(error, `producing to ${topic} (after ${sent} records)`);
      }
      sent += messages.length;
      const bytes = messages.reduce((s, m) => s + (m.key?.length ?? 0) + (m.value?.length ?? 0), 0);
      sentBytes += bytes;
      progress.add(messages.length, totalBytes === undefined ? bytes : inputBytes);
    };

    try {
      let batch: MessageToProduce[] = [];
      let batchBytes = 0;
      let batchInput = 0;
      const perBatch =
        rate === undefined ? batchRecordsMax : Math.max(1, Math.min(batchRecordsMax, Math.ceil(rate / 10)));
      const take = async (lines: Buffer[], inputBytes: number): Promise<void> => {
        batchInput += inputBytes;
        for (const line of lines) {
          if (context.signal.aborted) return;
          const { key, value } = splitKey(line, keySeparator);
          batch.push({
            topic,
            ...(key === null ? {} : { key: Buffer.from(key) }),
            value: Buffer.from(value),
            ...(fixedPartition === undefined ? {} : { partition: fixedPartition }),
            ...(headerBuffers.length === 0
              ? {}
              : { headers: new Map(headerBuffers.map(([k, v]) => [Buffer.from(k), v])) }),
          });
          batchBytes += line.length;
          if (batch.length >= perBatch || batchBytes >= batchBytesMax) {
            const full = batch;
            batch = [];
            batchBytes = 0;
            await send(full, batchInput);
            batchInput = 0;
          }
        }
      };
      for await (const chunk of input as AsyncIterable<Buffer | string>) {
        if (context.signal.aborted) break;
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        await take(splitter.push(bytes), bytes.length);
        // Whatever has been read is sent before waiting for more input (interactive typing).
        const rest = batch;
        batch = [];
        batchBytes = 0;
        await send(rest, batchInput);
        batchInput = 0;
        if (context.signal.aborted) break;
      }
      if (!context.signal.aborted) {
        await take(splitter.end(), 0);
        await send(batch, batchInput);
      }
    } catch (error) {
      if (error instanceof BadInputError)
        throw new BadInputError(`${error.message} (after producing ${sent} records)`, { cause: error });
      throw error;
    } finally {
      input.destroy();
      progress.finish({ clear: true });
      await closeQuietly(producer);
    }
    const summary = `produced ${formatCount(sent)} records (${formatBytes(sentBytes)}) to ${topic} in ${formatDuration(context.now() - started)}`;
    if (context.signal.aborted) throw new InterruptedError(`interrupted: ${summary}`);
    if (context.stderrIsTTY) context.stderr.write(summary + "\n");
    return ExitCode.ok;
  },
};
