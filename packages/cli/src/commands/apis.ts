// `samsa apis`: the protocol registry as a table, or JSON lines (`--json` or `-o json`).
import { apisTable } from "../apis.ts";
import type { Command } from "../framework/command.ts";
import { ExitCode } from "../framework/errors.ts";

export const apisCommand: Command = {
  spec: {
    name: "apis",
    summary: "List the Kafka APIs this build of Samsa can encode and decode.",
    reads: true,
    options: { json: { type: "boolean", description: "JSON lines (the same as --output json)" } },
  },
  run(args, context) {
    context.stdout.write(apisTable({ json: args.flag("json") || args.output() === "json" }));
    return Promise.resolve(ExitCode.ok);
  },
};
