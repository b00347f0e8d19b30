// `samsa consume TOPIC`: prints records from any position (beginning, end, an offset, a time or a
// duration ago), by default up to the end the partitions had when it started, or with --follow
// until Ctrl-C; -n stops after a count. With --group it joins the consumer group (the client
// library keeps the membership and heartbeats), starts at the group's committed offsets and
// commits what it printed. Records come from this package's fetcher either way, so read_committed,
// control records and LogAppendTime behave the same with or without a group.
import type { Admin, Consumer } from "@platformatic/kafka";
import type { Command, Context } from "../framework/command.ts";
import { sleep, writeOut } from "../framework/command.ts";
import { closeQuietly, connectionSettings, createAdmin, createConsumer } from "../framework/connection.ts";
import { CliError, describeFailure, ExitCode, UsageError } from "../framework/errors.ts";
import { parsePosition } from "../framework/positions.ts";
import type { Position } from "../framework/positions.ts";
import { latest, listOffsets, selectPartitions, startOffsets, topicInfo } from "../kafka/cluster.ts";
import { PartitionFetcher } from "../kafka/fetcher.ts";
import type { FetchedRecord } from "../kafka/fetcher.ts";
import { encodings, formatRecord, parseTemplate, recordJson } from "../kafka/record-format.ts";

const commitIntervalMs = 1000;

export const consumeCommand: Command = {
  spec: {
    name: "consume",
    summary: "Print records of a topic, from any offset or time, with or without a consumer group.",
    connects: true,
    reads: true,
    positionals: [{ name: "TOPIC", description: "the topic" }],
    options: {
      from: {
        type: "string",
        value: "POS",
        description:
          "beginning (default), end, an offset, a time (2024-05-01T12:00:00Z, @EPOCH_MS) or a duration ago (15m)",
      },
      partition: {
        type: "string",
        short: "p",
        value: "N",
        multiple: true,
        description: "only these partitions (repeatable)",
      },
      group: {
        type: "string",
        short: "g",
        value: "GROUP",
        description: "consume as a member of GROUP: start at its committed offsets, commit what is printed",
      },
      count: { type: "string", short: "n", value: "N", description: "stop after N records" },
      follow: { type: "boolean", short: "f", description: "keep waiting for new records until Ctrl-C" },
      "read-committed": { type: "boolean", description: "only records of committed transactions" },
      format: {
        type: "string",
        short: "F",
        value: "TEMPLATE",
        description:
          "text per record: {key} {value} {headers} {partition} {offset} {timestamp} {time} {topic}, \\n \\t (default '{value}\\n')",
      },
      encoding: {
        type: "string",
        short: "e",
        value: "ENC",
        description: "bytes as text (UTF-8, default), base64 or hex",
      },
    },
    notes: [
      "Without --follow, reading stops at the end offsets the partitions had at the start.",
      "With --group, --from applies only where the group has no committed offset (beginning or end);\nmove a group's offsets with 'samsa group seek'. Ctrl-C ends consume normally (exit 0).",
      "-o json prints one JSON object per record: topic, partition, offset, timestamp, timestampType, key, value, headers.",
    ],
    examples: [
      "samsa consume orders -n 10",
      "samsa consume orders --from 1h -F '{time} {key}={value}\\n'",
      "samsa consume orders -g billing -f",
      "samsa consume orders -o json --from @1714564800000 | jq .value",
    ],
  },
  async run(args, context) {
    const topic = args.positional(0);
    const groupId = args.string("group");
    const fromText = args.string("from");
    const position: Position =
      fromText === undefined ? { kind: "beginning" } : parsePosition(fromText, "--from", context.now());
    const wantedPartitions = args.list("partition").map((p) => {
      const n = Number(p);
      if (!/^\d+$/.test(p) || !Number.isSafeInteger(n))
        throw new UsageError(`--partition must be a number, got ${JSON.stringify(p)}`);
      return n;
    });
    const count = args.int("count", { min: 1 });
    const follow = args.flag("follow");
    const isolationLevel: 0 | 1 = args.flag("read-committed") ? 1 : 0;
    const encoding = args.oneOf("encoding", encodings) ?? "text";
    const json = args.output() === "json";
    const formatText = args.string("format");
    if (json && formatText !== undefined) throw new UsageError("give either --format or -o json, not both");
    const template = parseTemplate(formatText ?? "{value}\\n");
    if (groupId !== undefined) {
      if (position.kind === "offset" || position.kind === "timestamp")
        throw new UsageError(
          "with --group, reading starts at the group's committed offsets; --from may only be beginning or end",
          `samsa group seek ${groupId} --topic ${topic} ... to move them`,
        );
      if (wantedPartitions.length > 0)
        throw new UsageError("--partition cannot be combined with --group (the group assigns partitions)");
    }
    const settings = connectionSettings(args, context);
    const admin = createAdmin(settings);
    let consumer: Consumer | undefined;
    let printed = 0;
    const print = async (record: FetchedRecord): Promise<void> => {
      printed++;
      await writeOut(
        context.stdout,
        json ? recordJson(topic, record, encoding) + "\n" : formatRecord(template, topic, record, encoding),
      );
    };
    const reachedCount = (): boolean => count !== undefined && printed >= count;
    try {
      const info = await topicInfo(admin, topic);
      if (groupId === undefined) {
        const partitions = selectPartitions(info, wantedPartitions);
        const start = await startOffsets(admin, topic, partitions, position, isolationLevel);
        const ends = follow ? undefined : await listOffsets(admin, topic, partitions, latest, isolationLevel);
        const fetcher = new PartitionFetcher({ admin, topic, start, isolationLevel });
        await readLoop({ fetcher, ends, print, reachedCount, context });
        return ExitCode.ok;
      }
      consumer = createConsumer(settings, { groupId, isolationLevel });
      await consumeInGroup({ admin, consumer, topic, position, isolationLevel, follow, print, reachedCount, context });
      return ExitCode.ok;
    } finally {
      await closeQuietly(consumer);
      await closeQuietly(admin);
    }
  },
};

interface ReadLoopOptions {
  readonly fetcher: PartitionFetcher;
  /** Stop when every partition's position reaches its end; undefined: follow. */
  readonly ends: ReadonlyMap<number, bigint> | undefined;
  readonly print: (record: FetchedRecord) => Promise<void>;
  readonly reachedCount: () => boolean;
  readonly context: Context;
  /** Called after every round with the positions consumed (for commits). */
  readonly onProgress?: (consumed: ReadonlyMap<number, bigint>) => Promise<void>;
  /** Whether to end the loop (e.g. the group's assignment changed). */
  readonly interrupted?: () => boolean;
}

/** Fetch rounds until the ends, the count, Ctrl-C or `interrupted`; returns the consumed positions. */
async function readLoop(options: ReadLoopOptions): Promise<Map<number, bigint>> {
  const { fetcher, ends, context } = options;
  const consumed = new Map(fetcher.positions);
  const pending = (): number[] =>
    [...fetcher.positions]
      .filter(([p, position]) => ends === undefined || position < (ends.get(p) ?? 0n))
      .map(([p]) => p);
  while (!context.signal.aborted && !options.reachedCount() && options.interrupted?.() !== true) {
    const partitions = pending();
    if (partitions.length === 0) break;
    const records = await fetcher.fetch({
      maxWaitMs: ends === undefined ? 1000 : 200,
      partitions,
      signal: context.signal,
    });
    let stoppedAt: FetchedRecord | undefined;
    for (const record of records) {
      if (ends !== undefined && record.offset >= (ends.get(record.partition) ?? 0n)) continue; // past the snapshot
      await options.print(record);
      consumed.set(record.partition, record.offset + 1n);
      if (options.reachedCount() || context.signal.aborted) {
        stoppedAt = record;
        break;
      }
    }
    if (stoppedAt === undefined) {
      // Everything fetched was printed: the positions (past control records too) are consumed.
      for (const p of partitions) {
        const position = fetcher.positions.get(p) ?? 0n;
        const end = ends?.get(p);
        consumed.set(p, end !== undefined && position > end ? end : position);
      }
    }
    await options.onProgress?.(consumed);
  }
  return consumed;
}

interface GroupOptions {
  readonly admin: Admin;
  readonly consumer: Consumer;
  readonly topic: string;
  readonly position: Position;
  readonly isolationLevel: 0 | 1;
  readonly follow: boolean;
  readonly print: (record: FetchedRecord) => Promise<void>;
  readonly reachedCount: () => boolean;
  readonly context: Context;
}

function assignedPartitions(consumer: Consumer, topic: string): number[] {
  return [...new Set((consumer.assignments ?? []).filter((a) => a.topic === topic).flatMap((a) => a.partitions))].sort(
    (a, b) => a - b,
  );
}

async function commit(consumer: Consumer, topic: string, offsets: ReadonlyMap<number, bigint>): Promise<void> {
  if (offsets.size === 0) return;
  await consumer.commit({
    offsets: [...offsets].map(([partition, offset]) => ({ topic, partition, offset, leaderEpoch: -1 })),
  });
}

async function consumeInGroup(options: GroupOptions): Promise<void> {
  const { admin, consumer, topic, context } = options;
  consumer.topics.track(topic);
  try {
    await consumer.joinGroup({});
  } catch (error) {
    throw describeFailure(error, `joining group ${JSON.stringify(consumer.groupId)}`);
  }
  let lastCommit = context.now();
  let committed = new Map<number, bigint>();
  while (!context.signal.aborted && !options.reachedCount()) {
    const partitions = assignedPartitions(consumer, topic);
    if (partitions.length === 0) {
      if (!options.follow) return; // nothing assigned to this member: nothing to read
      await sleep(500, context.signal);
      continue;
    }
    // Start at the committed offsets; where there are none, at the beginning or the end.
    let listed: Map<string, bigint[]>;
    try {
      listed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions }] });
    } catch (error) {
      throw describeFailure(error, `reading the committed offsets of ${JSON.stringify(consumer.groupId)}`);
    }
    const fromCommitted = listed.get(topic) ?? [];
    const fallback = await startOffsets(
      admin,
      topic,
      partitions,
      options.position.kind === "end" ? { kind: "end" } : { kind: "beginning" },
      options.isolationLevel,
    );
    const start = new Map(
      partitions.map((p, i) => {
        const c = fromCommitted[i] ?? -1n;
        return [p, c >= 0n ? c : (fallback.get(p) ?? 0n)];
      }),
    );
    const ends = options.follow
      ? undefined
      : await listOffsets(admin, topic, partitions, latest, options.isolationLevel);
    const fetcher = new PartitionFetcher({ admin, topic, start, isolationLevel: options.isolationLevel });
    const assignment = partitions.join(",");
    const consumed = await readLoop({
      fetcher,
      ends,
      print: options.print,
      reachedCount: options.reachedCount,
      context,
      interrupted: () => assignedPartitions(consumer, topic).join(",") !== assignment,
      onProgress: async (positions) => {
        if (context.now() - lastCommit < commitIntervalMs) return;
        lastCommit = context.now();
        await commit(consumer, topic, positions).catch(() => undefined); // retried at the next interval
        committed = new Map(positions);
      },
    });
    const changed = new Map([...consumed].filter(([p, o]) => committed.get(p) !== o));
    try {
      await commit(consumer, topic, changed);
    } catch (error) {
      throw new CliError(
        `committing offsets of group ${JSON.stringify(consumer.groupId)} failed: ${describeFailure(error, "commit").message}`,
        { cause: error },
      );
    }
    committed = new Map(consumed);
    if (assignedPartitions(consumer, topic).join(",") === assignment) return; // done, not a rebalance
  }
}
