// `samsa group ...`: list consumer groups, describe one (members, assignments, committed offsets,
// lag per partition), delete one, and seek one — move its committed offsets to the earliest or
// latest offset, an offset, a point in time or by a shift — to replay records after a bad deploy
// or skip past a poison record. Seek prints its plan first and, like kafka-consumer-groups, only
// changes a group without active members.
import type { Admin } from "@platformatic/kafka";
import type { Args } from "../framework/args.ts";
import { parseInteger } from "../framework/args.ts";
import type { Command, CommandGroup, Context } from "../framework/command.ts";
import { connectionSettings, createAdmin, using } from "../framework/connection.ts";
import { CliError, describeFailure, ExitCode, kafkaErrorNames, UsageError } from "../framework/errors.ts";
import { jsonLines, table, toJson } from "../framework/output.ts";
import { parsePosition } from "../framework/positions.ts";
import { earliest, latest, listOffsets, selectPartitions, topicInfo } from "../kafka/cluster.ts";
import {
  commitGroupOffsets,
  committedOffsets,
  describeGroup,
  formatChange,
  groupNotFound,
  isInactive,
  lagRows,
  listGroups,
  planSeek,
  totalLag,
} from "../kafka/groups.ts";
import type { GroupDescription, PartitionLag, PartitionOffsets, SeekTarget } from "../kafka/groups.ts";

function admin(args: Args, context: Context): Admin {
  return createAdmin(connectionSettings(args, context));
}

const dash = (value: bigint | null): string => (value === null ? "-" : String(value));

const listCommand: Command = {
  spec: {
    name: "group list",
    summary: "List consumer groups with their type, protocol type and state.",
    connects: true,
    reads: true,
  },
  async run(args, context) {
    const format = args.output();
    return using(admin(args, context), async (client) => {
      const groups = await listGroups(client);
      if (format === "json") context.stdout.write(jsonLines(groups));
      else if (groups.length === 0) context.stdout.write("no groups\n");
      else
        context.stdout.write(
          table(
            ["GROUP", "TYPE", "PROTOCOL-TYPE", "STATE"],
            groups.map((g) => [g.group, g.type === "" ? "-" : g.type, g.protocolType || "-", g.state]),
            { style: context.style },
          ),
        );
      return ExitCode.ok;
    });
  },
};

/** Log end offsets of the topics named (topics that no longer exist are left out). */
async function logEndsOf(client: Admin, topics: readonly string[]): Promise<Map<string, Map<number, bigint>>> {
  const ends = new Map<string, Map<number, bigint>>();
  await Promise.all(
    topics.map(async (topic) => {
      try {
        const info = await topicInfo(client, topic);
        ends.set(
          topic,
          await listOffsets(
            client,
            topic,
            info.partitions.map((p) => p.partition),
            latest,
          ),
        );
      } catch (error) {
        if (error instanceof CliError && error.exitCode === ExitCode.notFound) return;
        throw error;
      }
    }),
  );
  return ends;
}

function memberJson(description: GroupDescription): unknown[] {
  return description.members.map((m) => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    host: m.host,
    assignment: m.assignment,
  }));
}

function lagJson(row: PartitionLag): unknown {
  return {
    topic: row.topic,
    partition: row.partition,
    committedOffset: row.committedOffset,
    logEndOffset: row.logEndOffset,
    lag: row.lag,
    owner: row.owner,
  };
}

const describeCommand: Command = {
  spec: {
    name: "group describe",
    summary: "Show a group: state, protocol, members and their partitions, committed offsets and lag.",
    connects: true,
    reads: true,
    positionals: [{ name: "GROUP", description: "the group id" }],
    notes: [
      "LAG is the log end offset minus the committed offset ('-' where the group has committed nothing).\n" +
        "-o json prints one object: group, type, state, protocolType, protocol, members, offsets, totalLag.",
    ],
    examples: ["samsa group describe billing", "samsa group describe billing -o json | jq .totalLag"],
  },
  async run(args, context) {
    const group = args.positional(0);
    const format = args.output();
    return using(admin(args, context), async (client) => {
      const [description, committed] = await Promise.all([
        describeGroup(client, group),
        committedOffsets(client, group),
      ]);
      if (description.state === "Dead" && committed.size === 0) throw groupNotFound(group);
      const topics = new Set([
        ...committed.keys(),
        ...description.members.flatMap((m) => m.assignment.map((a) => a.topic)),
      ]);
      const logEnds = await logEndsOf(client, [...topics]);
      const rows = lagRows({ committed, logEnds, members: description.members });
      const total = totalLag(rows);
      // A group Kafka reports as Dead but with committed offsets behaves as Empty for consumers.
      const state = description.state === "Dead" ? "Empty" : description.state;
      if (format === "json") {
        context.stdout.write(
          toJson({
            group,
            type: description.type,
            state,
            protocolType: description.protocolType,
            protocol: description.protocol,
            members: memberJson(description),
            offsets: rows.map(lagJson),
            totalLag: total,
          }) + "\n",
        );
        return ExitCode.ok;
      }
      const s = context.style;
      const protocol = [description.protocolType, description.protocol].filter((x) => x !== "").join(" / ");
      context.stdout.write(
        `${s.bold("Group")}      ${group}\n` +
          `${s.bold("Type")}       ${description.type}\n` +
          `${s.bold("State")}      ${state === "Stable" ? s.green(state) : state === "Empty" ? s.dim(state) : s.yellow(state)}\n` +
          `${s.bold("Protocol")}   ${protocol === "" ? "-" : protocol}\n` +
          `${s.bold("Members")}    ${description.members.length}\n` +
          `${s.bold("Total lag")}  ${total}\n`,
      );
      if (description.members.length > 0) {
        context.stdout.write(
          "\n" +
            table(
              ["MEMBER-ID", "CLIENT-ID", "HOST", "PARTITIONS"],
              description.members.map((m) => [
                m.memberId,
                m.clientId,
                m.host,
                m.assignment.map((a) => `${a.topic}:${a.partitions.join(",")}`).join(" ") || "-",
              ]),
              { style: s },
            ),
        );
      }
      if (rows.length > 0) {
        context.stdout.write(
          "\n" +
            table(
              ["TOPIC", "PARTITION", "COMMITTED", "LOG-END", "LAG", "OWNER"],
              rows.map((r) => [
                r.topic,
                String(r.partition),
                dash(r.committedOffset),
                dash(r.logEndOffset),
                r.lag !== null && r.lag > 0n ? s.yellow(String(r.lag)) : dash(r.lag),
                r.owner === null ? "-" : `${r.owner.clientId} ${s.dim(r.owner.host)}`,
              ]),
              { style: s, alignRight: [1, 2, 3, 4] },
            ),
        );
      }
      return ExitCode.ok;
    });
  },
};

const deleteCommand: Command = {
  spec: {
    name: "group delete",
    summary: "Delete a group and its committed offsets (DeleteGroups; the group must have no members).",
    connects: true,
    positionals: [{ name: "GROUP", description: "the group id" }],
    options: { "if-exists": { type: "boolean", description: "succeed when the group does not exist" } },
  },
  async run(args, context) {
    const group = args.positional(0);
    return using(admin(args, context), async (client) => {
      try {
        await client.deleteGroups({ groups: [group] });
      } catch (error) {
        const names = kafkaErrorNames(error);
        if (names.includes("GROUP_ID_NOT_FOUND")) {
          if (args.flag("if-exists")) return ExitCode.ok;
          throw groupNotFound(group);
        }
        if (names.includes("NON_EMPTY_GROUP"))
          throw new CliError(`group ${JSON.stringify(group)} still has active members (NON_EMPTY_GROUP)`, {
            hint: `stop its consumers first; 'samsa group describe ${group}' shows them`,
            cause: error,
          });
        throw describeFailure(error, `deleting group ${JSON.stringify(group)}`);
      }
      context.stdout.write(`deleted group ${group}\n`);
      return ExitCode.ok;
    });
  },
};

/** --to or --shift-by, exactly one. */
export function parseSeekTarget(to: string | undefined, shiftBy: string | undefined, nowMs: number): SeekTarget {
  if ((to === undefined) === (shiftBy === undefined))
    throw new UsageError("give exactly one of --to and --shift-by", "samsa group seek --help");
  if (shiftBy !== undefined) {
    return { kind: "shift", by: BigInt(parseInteger(shiftBy, "--shift-by")) };
  }
  return parsePosition(to ?? "", "--to", nowMs);
}

const seekCommand: Command = {
  spec: {
    name: "group seek",
    summary: "Move a group's committed offsets (to replay or skip records); the group must have no active members.",
    connects: true,
    reads: true,
    positionals: [{ name: "GROUP", description: "the group id" }],
    options: {
      topic: {
        type: "string",
        short: "t",
        value: "TOPIC",
        multiple: true,
        description: "the topic whose offsets move (repeatable)",
      },
      "all-topics": { type: "boolean", description: "every topic the group has committed offsets for" },
      partition: {
        type: "string",
        short: "p",
        value: "N",
        multiple: true,
        description: "only these partitions (repeatable; with a single --topic)",
      },
      to: {
        type: "string",
        value: "POS",
        description:
          "earliest, latest, an offset, a time (2024-05-01T12:00:00Z, @EPOCH_MS) or a duration ago (15m, 2h)",
      },
      "shift-by": { type: "string", value: "N", description: "move by N records (--shift-by=-100 goes back)" },
      "dry-run": { type: "boolean", description: "print the plan, change nothing" },
    },
    notes: [
      "A time moves each partition to its first record with a timestamp at or after it (ListOffsets), or to\n" +
        "the log end when there is none; offsets and shifts stay within [log start, log end].",
      "The plan (partition, current, new, change) is printed first, then committed. A group with active\n" +
        "members is refused: stop its consumers first (they would overwrite the offsets).",
    ],
    examples: [
      "samsa group seek billing --topic orders --to 2024-05-01T12:00:00Z --dry-run",
      "samsa group seek billing --all-topics --to 1h",
      "samsa group seek billing --topic orders -p 0 --shift-by=-10",
    ],
  },
  async run(args, context) {
    const group = args.positional(0);
    const format = args.output();
    const dryRun = args.flag("dry-run");
    const target = parseSeekTarget(args.string("to"), args.string("shift-by"), context.now());
    const topicsWanted = [...new Set(args.list("topic"))];
    const allTopics = args.flag("all-topics");
    if (topicsWanted.length > 0 === allTopics)
      throw new UsageError("give --topic TOPIC or --all-topics", "samsa group seek --help");
    const partitionsWanted = args.list("partition").map((p) => parseInteger(p, "--partition", { min: 0 }));
    if (partitionsWanted.length > 0 && topicsWanted.length !== 1)
      throw new UsageError("--partition needs exactly one --topic");
    return using(admin(args, context), async (client) => {
      const [description, committed] = await Promise.all([
        describeGroup(client, group),
        committedOffsets(client, group),
      ]);
      const inactive = isInactive(description);
      if (!inactive && !dryRun)
        throw new CliError(
          `group ${JSON.stringify(group)} has ${description.members.length} active member(s) (state ${description.state}); offsets can only be moved while it has none`,
          { hint: `stop its consumers first ('samsa group describe ${group}' shows them)` },
        );
      const topics = allTopics ? [...committed.keys()].sort() : topicsWanted;
      if (topics.length === 0)
        throw new CliError(`group ${JSON.stringify(group)} has no committed offsets`, {
          exitCode: ExitCode.notFound,
          hint: "name the topics with --topic",
        });
      const partitions: PartitionOffsets[] = [];
      for (const topic of topics) {
        const info = await topicInfo(client, topic);
        const selected = selectPartitions(info, partitionsWanted);
        const [starts, ends, byTime] = await Promise.all([
          listOffsets(client, topic, selected, earliest),
          listOffsets(client, topic, selected, latest),
          target.kind === "timestamp"
            ? listOffsets(client, topic, selected, BigInt(target.timestampMs))
            : Promise.resolve(undefined),
        ]);
        for (const partition of selected) {
          const time = byTime?.get(partition);
          partitions.push({
            topic,
            partition,
            current: committed.get(topic)?.get(partition) ?? null,
            logStart: starts.get(partition) ?? 0n,
            logEnd: ends.get(partition) ?? 0n,
            ...(time === undefined ? {} : { byTime: time }),
          });
        }
      }
      const plan = planSeek(target, partitions);
      if (format === "json") {
        context.stdout.write(jsonLines(plan.map((r) => ({ group, ...r, dryRun }))));
      } else {
        context.stdout.write(
          table(
            ["TOPIC", "PARTITION", "CURRENT", "NEW", "CHANGE"],
            plan.map((r) => [r.topic, String(r.partition), dash(r.current), String(r.target), formatChange(r.change)]),
            { style: context.style, alignRight: [1, 2, 3, 4] },
          ),
        );
      }
      if (dryRun) {
        if (format === "text") context.stdout.write(`dry run: group ${group} not changed\n`);
        if (!inactive)
          context.stderr.write(`note: group ${group} has active members; stop its consumers before seeking for real\n`);
        return ExitCode.ok;
      }
      await commitGroupOffsets(
        client,
        group,
        plan.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.target })),
      );
      if (format === "text")
        context.stdout.write(`committed new offsets for ${plan.length} partition(s) of group ${group}\n`);
      return ExitCode.ok;
    });
  },
};

export const groupGroup: CommandGroup = {
  name: "group",
  summary: "List, describe, delete consumer groups and move their offsets (seek).",
  commands: [listCommand, describeCommand, deleteCommand, seekCommand],
};
