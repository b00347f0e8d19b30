#!/usr/bin/env node
// The `samsa` command: parses the command line and dispatches to a subcommand.
import { parseArgs } from "node:util";
import { apisTable } from "./apis.ts";
import { runStart } from "./start.ts";

const usage = `Usage: samsa <command> [options]

Commands:
  start                      Run a broker in the foreground (Ctrl-C stops it cleanly)
      --data-dir DIR           where data lives (default ./data)
      --listen HOST:PORT       address to listen on (default 127.0.0.1:9092)
      --advertise HOST:PORT    address clients are told to use (default: the listen address)
      --config FILE            a Kafka-style .properties file
      --set NAME=VALUE         any broker setting by its Kafka name (repeatable)
    Settings also come from SAMSA_* variables (SAMSA_LOG_RETENTION_MS is log.retention.ms);
    flags win over variables, variables over the file.
  apis [--json]              List the Kafka APIs this build of Samsa can encode and decode

Options:
  -h, --help                 Show this help
  -v, --version              Show the version

Exit codes: 0 success, 1 failure (the reason is printed on one line), 2 usage error.
`;

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    options: {
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
      json: { type: "boolean" },
      "data-dir": { type: "string" },
      listen: { type: "string" },
      advertise: { type: "string" },
      config: { type: "string" },
      set: { type: "string", multiple: true },
    },
  });
  const text = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
  };
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
    case "start": {
      const set = values["set"];
      const dataDir = text("data-dir");
      const listen = text("listen");
      const advertise = text("advertise");
      const configFile = text("config");
      return runStart({
        ...(dataDir === undefined ? {} : { dataDir }),
        ...(listen === undefined ? {} : { listen }),
        ...(advertise === undefined ? {} : { advertise }),
        ...(configFile === undefined ? {} : { configFile }),
        set: Array.isArray(set) ? set.filter((s): s is string => typeof s === "string") : [],
      });
    }
    case "apis":
      process.stdout.write(apisTable({ json: values["json"] === true }));
      return 0;
    default:
      process.stderr.write(`samsa: unknown command '${command}'. Run 'samsa --help' for the list.\n`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
