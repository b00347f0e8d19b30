// `samsa topic ...`: create, list, describe (partitions, offsets, sizes, configs with their
// sources), delete, alter-config (IncrementalAlterConfigs), add-partitions, and — from
// topic-backup.ts — backup and restore. All through the client library's Admin.
import type { Admin } from "@platformatic/kafka";
import type { Args } from "../framework/args.ts";
import { parseAssignments } from "../framework/args.ts";
import type { Command, CommandGroup, Context } from "../framework/command.ts";
import { connectionSettings, createAdmin, using } from "../framework/connection.ts";
import {
  CliError,
  describeFailure,
  ExitCode,
  kafkaErrorNames,
  NotFoundError,
  UsageError,
} from "../framework/errors.ts";
import { formatBytes, jsonLines, table, toJson } from "../framework/output.ts";
import { earliest, latest, listOffsets, topicConfigs, topicInfo } from "../kafka/cluster.ts";
import { backupCommand, restoreCommand } from "./topic-backup.ts";

import { topicResource } from "../kafka/cluster.ts";

function admin(args: Args, context: Context): Admin {
  return createAdmin(connectionSettings(args, context));
}

const createCommand: Command = {
  spec: {
    name: "topic create",
    summary: "Create a topic.",
    connects: true,
    positionals: [{ name: "TOPIC", description: "the topic's name" }],
    options: {
      partitions: {
        type: "string",
        short: "p",
        value: "N",
        description: "number of partitions (default: the cluster's num.partitions)",
      },
      replicas: {
        type: "string",
        short: "r",
        value: "N",
        description: "replication factor (default: the cluster's default)",
      },
      config: {
        type: "string",
        short: "c",
        value: "NAME=VALUE",
        multiple: true,
        description: "a topic config, e.g. cleanup.policy=compact (repeatable)",
      },
      "if-not-exists": { type: "boolean", description: "succeed when the topic already exists" },
    },
    examples: [
      "samsa topic create orders -p 6 -c retention.ms=604800000",
      "samsa topic create users -c cleanup.policy=compact",
    ],
  },
  async run(args, context) {
    const name = args.positional(0);
    const partitions = args.int("partitions", { min: 1, max: 100_000 });
    const replicas = args.int("replicas", { min: 1, max: 1000 });
    const configs = parseAssignments(args.list("config"), "--config").map(([n, value]) => ({ name: n, value }));
    return using(admin(args, context), async (client) => {
      try {
        await client.createTopics({
          topics: [name],
          partitions: partitions ?? -1,
          replicas: replicas ?? -1,
          ...(configs.length > 0 ? { configs } : {}),
        });
      } catch (error) {
        if (args.flag("if-not-exists") && kafkaErrorNames(error).includes("TOPIC_ALREADY_EXISTS")) return ExitCode.ok;
        throw describeFailure(error, `creating topic ${JSON.stringify(name)}`);
      }
      context.stdout.write(`created topic ${name}\n`);
      return ExitCode.ok;
    });
  },
};

const listCommand: Command = {
  spec: {
    name: "topic list",
    summary: "List topics with their partition counts and replication factors.",
    connects: true,
    reads: true,
    options: {
      internal: { type: "boolean", short: "i", description: "include internal topics (__consumer_offsets, ...)" },
    },
  },
  async run(args, context) {
    const format = args.output();
    return using(admin(args, context), async (client) => {
      let names: string[];
      try {
        names = (await client.listTopics({ includeInternals: args.flag("internal") })).sort();
      } catch (error) {
        throw describeFailure(error, "listing topics");
      }
      const rows: { name: string; partitions: number; replicas: number }[] = [];
      if (names.length > 0) {
        let metadata;
        try {
          metadata = await client.metadata({ topics: names, forceUpdate: true });
        } catch (error) {
          throw describeFailure(error, "reading topic metadata");
        }
        for (const name of names) {
          const t = metadata.topics.get(name);
          if (t === undefined) continue; // deleted meanwhile
          rows.push({ name, partitions: t.partitionsCount, replicas: t.partitions[0]?.replicas.length ?? 0 });
        }
      }
      if (format === "json") context.stdout.write(jsonLines(rows));
      else if (rows.length === 0) context.stdout.write("no topics\n");
      else
        context.stdout.write(
          table(
            ["NAME", "PARTITIONS", "REPLICAS"],
            rows.map((r) => [r.name, String(r.partitions), String(r.replicas)]),
            { style: context.style, alignRight: [1, 2] },
          ),
        );
      return ExitCode.ok;
    });
  },
};

/** Bytes on disk per partition (DescribeLogDirs; the largest replica's size when there are several). */
async function partitionSizes(
  client: Admin,
  topic: string,
  partitions: readonly number[],
): Promise<Map<number, number> | undefined> {
  try {
    const dirs = await client.describeLogDirs({ topics: [{ name: topic, partitions: [...partitions] }] });
    const sizes = new Map<number, number>();
    for (const broker of dirs)
      for (const dir of broker.results)
        for (const t of dir.topics)
          if (t.name === topic)
            for (const p of t.partitions)
              sizes.set(p.partitionIndex, Math.max(sizes.get(p.partitionIndex) ?? 0, Number(p.partitionSize)));
    return sizes;
  } catch {
    return undefined; // not authorised, or not supported: sizes are left out, the rest still shows
  }
}

const describeCommand: Command = {
  spec: {
    name: "topic describe",
    summary: "Show a topic: partitions (leaders, replicas, offsets, sizes) and configs with their sources.",
    connects: true,
    reads: true,
    positionals: [{ name: "TOPIC", description: "the topic" }],
    options: {
      "non-default": { type: "boolean", description: "show only configs not at their default" },
    },
  },
  async run(args, context) {
    const name = args.positional(0);
    const format = args.output();
    return using(admin(args, context), async (client) => {
      const info = await topicInfo(client, name);
      const partitions = info.partitions.map((p) => p.partition);
      const [starts, ends, sizes, allConfigs] = await Promise.all([
        listOffsets(client, name, partitions, earliest),
        listOffsets(client, name, partitions, latest),
        partitionSizes(client, name, partitions),
        topicConfigs(client, name),
      ]);
      const configs = args.flag("non-default") ? allConfigs.filter((c) => c.source !== "default") : allConfigs;
      const rows = info.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
        logStartOffset: starts.get(p.partition) ?? -1n,
        highWatermark: ends.get(p.partition) ?? -1n,
        ...(sizes === undefined ? {} : { sizeBytes: sizes.get(p.partition) ?? 0 }),
      }));
      if (format === "json") {
        context.stdout.write(toJson({ name, id: info.id, partitions: rows, configs }) + "\n");
        return ExitCode.ok;
      }
      const s = context.style;
      const replication = info.partitions[0]?.replicas.length ?? 0;
      const totalBytes = sizes === undefined ? undefined : [...sizes.values()].reduce((a, b) => a + b, 0);
      const records = rows.reduce((sum, r) => sum + (r.highWatermark - r.logStartOffset), 0n);
      context.stdout.write(
        `${s.bold("Topic")}        ${name}\n` +
          `${s.bold("ID")}           ${info.id}\n` +
          `${s.bold("Partitions")}   ${info.partitions.length}\n` +
          `${s.bold("Replication")}  ${replication}\n` +
          `${s.bold("Records")}      ${records} (high watermark − log start, summed)\n` +
          (totalBytes === undefined ? "" : `${s.bold("Size")}         ${formatBytes(totalBytes)}\n`) +
          "\n",
      );
      context.stdout.write(
        table(
          [
            "PARTITION",
            "LEADER",
            "REPLICAS",
            "ISR",
            "LOG-START",
            "HIGH-WATERMARK",
            ...(sizes === undefined ? [] : ["SIZE"]),
          ],
          rows.map((r) => [
            String(r.partition),
            String(r.leader),
            r.replicas.join(","),
            r.isr.join(","),
            String(r.logStartOffset),
            String(r.highWatermark),
            ...(r.sizeBytes === undefined ? [] : [formatBytes(r.sizeBytes)]),
          ]),
          { style: s, alignRight: [0, 1, 4, 5, 6] },
        ) + "\n",
      );
      context.stdout.write(
        table(
          ["CONFIG", "VALUE", "SOURCE"],
          configs.map((c) => {
            const value = c.sensitive ? "(sensitive)" : (c.value ?? "(null)");
            return c.source === "default"
              ? [s.dim(c.name), s.dim(value), s.dim(c.source)]
              : [c.name, value, s.cyan(c.source)];
          }),
          { style: s },
        ),
      );
      return ExitCode.ok;
    });
  },
};

const deleteCommand: Command = {
  spec: {
    name: "topic delete",
    summary: "Delete a topic and all its records.",
    connects: true,
    positionals: [{ name: "TOPIC", description: "the topic" }],
    options: { "if-exists": { type: "boolean", description: "succeed when the topic does not exist" } },
  },
  async run(args, context) {
    const name = args.positional(0);
    return using(admin(args, context), async (client) => {
      try {
        await client.deleteTopics({ topics: [name] });
      } catch (error) {
        const names = kafkaErrorNames(error);
        if (names.includes("UNKNOWN_TOPIC_OR_PARTITION") || names.includes("UNKNOWN_TOPIC_ID")) {
          if (args.flag("if-exists")) return ExitCode.ok;
          throw new NotFoundError(
            `topic ${JSON.stringify(name)} does not exist`,
            "'samsa topic list' shows the topics",
          );
        }
        throw describeFailure(error, `deleting topic ${JSON.stringify(name)}`);
      }
      context.stdout.write(`deleted topic ${name}\n`);
      return ExitCode.ok;
    });
  },
};

const alterConfigCommand: Command = {
  spec: {
    name: "topic alter-config",
    summary: "Set or remove topic configs (IncrementalAlterConfigs: other configs stay as they are).",
    connects: true,
    positionals: [{ name: "TOPIC", description: "the topic" }],
    options: {
      set: {
        type: "string",
        short: "s",
        value: "NAME=VALUE",
        multiple: true,
        description: "set a config (repeatable)",
      },
      delete: {
        type: "string",
        short: "d",
        value: "NAME",
        multiple: true,
        description: "remove a config, back to its default (repeatable)",
      },
      "dry-run": { type: "boolean", description: "validate only (the cluster checks, nothing changes)" },
    },
    examples: ["samsa topic alter-config orders --set retention.ms=86400000 --delete cleanup.policy"],
  },
  async run(args, context) {
    const name = args.positional(0);
    const sets = parseAssignments(args.list("set"), "--set");
    const deletes = args.list("delete");
    if (sets.length === 0 && deletes.length === 0) throw new UsageError("nothing to change: give --set or --delete");
    return using(admin(args, context), async (client) => {
      await topicInfo(client, name); // a clear "does not exist" first
      try {
        await client.incrementalAlterConfigs({
          resources: [
            {
              resourceType: topicResource,
              resourceName: name,
              configs: [
                ...sets.map(([n, value]) => ({ name: n, configOperation: 0 as const, value })),
                ...deletes.map((n) => ({ name: n, configOperation: 1 as const })),
              ],
            },
          ],
          validateOnly: args.flag("dry-run"),
        });
      } catch (error) {
        throw describeFailure(error, `altering the configs of ${JSON.stringify(name)}`);
      }
      const changes = [...sets.map(([n, v]) => `${n}=${v}`), ...deletes.map((n) => `-${n}`)].join(", ");
      context.stdout.write(`${args.flag("dry-run") ? "would alter" : "altered"} ${name}: ${changes}\n`);
      return ExitCode.ok;
    });
  },
};

const addPartitionsCommand: Command = {
  spec: {
    name: "topic add-partitions",
    summary: "Add partitions to a topic (records keep their partitions; keys may map elsewhere from now on).",
    connects: true,
    positionals: [{ name: "TOPIC", description: "the topic" }],
    options: {
      num: { type: "string", short: "n", value: "N", description: "how many partitions to add" },
      to: { type: "string", value: "N", description: "the new total number of partitions" },
    },
    examples: ["samsa topic add-partitions orders -n 2", "samsa topic add-partitions orders --to 12"],
  },
  async run(args, context) {
    const name = args.positional(0);
    const add = args.int("num", { min: 1, max: 100_000 });
    const to = args.int("to", { min: 1, max: 100_000 });
    if ((add === undefined) === (to === undefined)) throw new UsageError("give exactly one of --num and --to");
    return using(admin(args, context), async (client) => {
      const current = (await topicInfo(client, name)).partitions.length;
      const count = to ?? current + (add ?? 0);
      if (count <= current)
        throw new CliError(`${name} already has ${current} partitions; --to must be more`, {
          exitCode: ExitCode.usage,
        });
      try {
        await client.createPartitions({ topics: [{ name, count }] });
      } catch (error) {
        throw describeFailure(error, `adding partitions to ${JSON.stringify(name)}`);
      }
      context.stdout.write(`${name}: ${current} → ${count} partitions\n`);
      return ExitCode.ok;
    });
  },
};

export const topicGroup: CommandGroup = {
  name: "topic",
  summary: "Create, list, describe, alter, delete, back up and restore topics.",
  commands: [
    createCommand,
    listCommand,
    describeCommand,
    deleteCommand,
    alterConfigCommand,
    addPartitionsCommand,
    backupCommand,
    restoreCommand,
  ],
};
