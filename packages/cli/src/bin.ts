#!/usr/bin/env node
// The `samsa` command: parses the command line and dispatches to a subcommand.
import { parseArgs } from "node:util";
import { apisTable } from "./apis.ts";

const usage = `Usage: samsa <command> [options]

Commands:
  apis [--json]    List the Kafka APIs this build of Samsa can encode and decode, with versions

Options:
  -h, --help       Show this help
  -v, --version    Show the version
`;

function main(argv: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    options: {
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
      json: { type: "boolean" },
    },
  });
  const [command] = positionals;
  if (values["version"] === true) {
    process.stdout.write("samsa 0.1.0\n");
    return 0;
  }
  if (command === undefined || values["help"] === true) {
    process.stdout.write(usage);
    return command === undefined && values["help"] !== true ? 2 : 0;
  }
  switch (command) {
    case "apis":
      process.stdout.write(apisTable({ json: values["json"] === true }));
      return 0;
    default:
      process.stderr.write(`samsa: unknown command '${command}'. Run 'samsa --help' for the list.\n`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
