// `samsa start`: the command-line face of ../start.ts (runs a broker in the foreground).
import type { Command } from "../framework/command.ts";
import { ExitCode } from "../framework/errors.ts";

export const startCommand: Command = {
  spec: {
    name: "start",
    summary: "Run a Samsa broker in the foreground (Ctrl-C stops it cleanly).",
    options: {
      "data-dir": { type: "string", value: "DIR", description: "where data lives (default ./data)" },
      listen: { type: "string", value: "HOST:PORT", description: "address to listen on (default 127.0.0.1:9092)" },
      advertise: {
        type: "string",
        value: "HOST:PORT",
        description: "address clients are told to use (default: the listen address)",
      },
      config: { type: "string", value: "FILE", description: "a Kafka-style .properties file" },
      set: {
        type: "string",
        value: "NAME=VALUE",
        multiple: true,
        description: "any broker setting by its Kafka name (repeatable)",
      },
    },
    notes: [
      "Settings also come from SAMSA_* variables (SAMSA_LOG_RETENTION_MS is log.retention.ms);\nflags win over variables, variables over the file.",
    ],
    examples: ["samsa start --data-dir /var/lib/samsa --set num.partitions=3"],
  },
  async run(args) {
    const { runStart } = await import("../start.ts");
    const dataDir = args.string("data-dir");
    const listen = args.string("listen");
    const advertise = args.string("advertise");
    const configFile = args.string("config");
    const code = await runStart({
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(listen === undefined ? {} : { listen }),
      ...(advertise === undefined ? {} : { advertise }),
      ...(configFile === undefined ? {} : { configFile }),
      set: args.list("set"),
    });
    return code === 0 ? ExitCode.ok : ExitCode.failed;
  },
};
