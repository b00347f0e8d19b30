// `samsa records delete TOPIC --before OFFSET|TIME`: moves partitions' log start forward with
// DeleteRecords, so that every record before an offset, or older than a time, is gone. The offset
// per partition for a time comes from ListOffsets (the first record at or after it).
import type { Command, CommandGroup } from "../framework/command.ts";
import { connectionSettings, createAdmin, using } from "../framework/connection.ts";
import { describeFailure, ExitCode, UsageError } from "../framework/errors.ts";
import { jsonLines, table } from "../framework/output.ts";
import { parsePosition } from "../framework/positions.ts";
import { earliest, latest, listOffsets, selectPartitions, startOffsets, topicInfo } from "../kafka/cluster.ts";

const deleteCommand: Command = {
  spec: {
    name: "records delete",
    summary: "Delete the records before an offset or a time (DeleteRecords: the log start moves forward).",
    connects: true,
    reads: true,
    positionals: [{ name: "TOPIC", description: "the topic" }],
    options: {
      before: {
        type: "string",
        value: "POS",
        description:
          "an offset (in each partition), a time (2024-05-01T12:00:00Z, @EPOCH_MS), a duration ago (7d) or end (everything)",
      },
      partition: {
        type: "string",
        short: "p",
        value: "N",
        multiple: true,
        description: "only these partitions (default all)",
      },
      "dry-run": { type: "boolean", description: "print the plan, delete nothing" },
    },
    examples: ["samsa records delete orders --before 7d", "samsa records delete orders --before 1500 -p 0"],
  },
  async run(args, context) {
    const topic = args.positional(0);
    const beforeText = args.string("before");
    if (beforeText === undefined) throw new UsageError("--before is required", "samsa records delete --help");
    const before = parsePosition(beforeText, "--before", context.now());
    if (before.kind === "beginning")
      throw new UsageError("--before beginning deletes nothing; give an offset, a time or end");
    const wanted = args.list("partition").map((p) => {
      if (!/^\d+$/.test(p)) throw new UsageError(`--partition must be a number, got ${JSON.stringify(p)}`);
      return Number(p);
    });
    const format = args.output();
    return using(createAdmin(connectionSettings(args, context)), async (admin) => {
      const info = await topicInfo(admin, topic);
      const partitions = selectPartitions(info, wanted);
      const [starts, ends, targets] = await Promise.all([
        listOffsets(admin, topic, partitions, earliest),
        listOffsets(admin, topic, partitions, latest),
        startOffsets(admin, topic, partitions, before, 0),
      ]);
      const plan = partitions.map((partition) => {
        const start = starts.get(partition) ?? 0n;
        const end = ends.get(partition) ?? 0n;
        let target = targets.get(partition) ?? start;
        if (target > end) target = end;
        return { partition, logStartBefore: start, deleteBefore: target > start ? target : start, highWatermark: end };
      });
      const toDelete = plan.filter((p) => p.deleteBefore > p.logStartBefore);
      let after = new Map<number, bigint>();
      if (!args.flag("dry-run") && toDelete.length > 0) {
        try {
          const deleted = await admin.deleteRecords({
            topics: [
              { name: topic, partitions: toDelete.map((p) => ({ partition: p.partition, offset: p.deleteBefore })) },
            ],
          });
          after = new Map(deleted.flatMap((t) => t.partitions.map((p) => [p.partition, p.lowWatermark] as const)));
        } catch (error) {
          throw describeFailure(error, `deleting records of ${JSON.stringify(topic)}`);
        }
      }
      const rows = plan.map((p) => ({
        partition: p.partition,
        logStartBefore: p.logStartBefore,
        logStart: args.flag("dry-run") ? p.deleteBefore : (after.get(p.partition) ?? p.logStartBefore),
        deleted:
          (args.flag("dry-run") ? p.deleteBefore : (after.get(p.partition) ?? p.logStartBefore)) - p.logStartBefore,
        highWatermark: p.highWatermark,
      }));
      if (format === "json") {
        context.stdout.write(jsonLines(rows.map((r) => ({ ...r, dryRun: args.flag("dry-run") }))));
        return ExitCode.ok;
      }
      context.stdout.write(
        table(
          ["PARTITION", "LOG-START-BEFORE", "LOG-START", "DELETED", "HIGH-WATERMARK"],
          rows.map((r) => [
            String(r.partition),
            String(r.logStartBefore),
            String(r.logStart),
            String(r.deleted),
            String(r.highWatermark),
          ]),
          { style: context.style, alignRight: [0, 1, 2, 3, 4] },
        ),
      );
      const total = rows.reduce((s, r) => s + r.deleted, 0n);
      context.stdout.write(`${args.flag("dry-run") ? "would delete" : "deleted"} ${total} records from ${topic}\n`);
      return ExitCode.ok;
    });
  },
};

export const recordsGroup: CommandGroup = {
  name: "records",
  summary: "Delete records before an offset or a time.",
  commands: [deleteCommand],
};
