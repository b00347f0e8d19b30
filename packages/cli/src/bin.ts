#!/usr/bin/env node
// The `samsa` command: finds the (sub)command in the registry, parses its arguments, runs it with
// Ctrl-C handling, and turns any failure into one line on stderr and a documented exit code.
import { isGroup, registry } from "./commands/index.ts";
import { parseCommand, renderGroupHelp, renderHelp } from "./framework/args.ts";
import type { Command } from "./framework/command.ts";
import { handleInterrupts, processContext } from "./framework/command.ts";
import { CliError, describeFailure, ExitCode, failureLine, UsageError } from "./framework/errors.ts";

const version = "0.1.0";

function topHelp(): string {
  const width = Math.max(...registry.map((e) => e.name.length));
  return `Usage: samsa <command> [options]

The everyday tool for Samsa and any Kafka cluster.

Commands:
${registry.map((e) => `  ${e.name.padEnd(width)}  ${e.summary}`).join("\n")}

Options:
  -h, --help     show help (also after any command: samsa topic create --help)
  -v, --version  show the version

Client commands connect to -b/--brokers HOST:PORT,..., else $SAMSA_BROKERS, else 127.0.0.1:9092;
to secured clusters with --command-config FILE (Kafka client properties) or --security-protocol,
--sasl-*, --tls-* (see any command's --help).
Read commands take -o/--output json (JSON lines). Colours and tables only on a terminal.

Exit codes: 0 success, 1 failed (the reason is printed on one line), 2 usage error,
3 cluster unreachable, 4 topic/partition/group not found, 5 invalid input data or client config,
6 authentication failed or not authorized, 130 interrupted (Ctrl-C). Details: docs/cli.md.
`;
}

function usageFailure(command: string, error: UsageError): number {
  process.stderr.write(failureLine(command, error) + "\n");
  return error.exitCode;
}

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(topHelp());
    return ExitCode.usage;
  }
  if (first === "-h" || first === "--help" || first === "help") {
    if (first === "help" && rest.length > 0) return main([...rest, "--help"]);
    process.stdout.write(topHelp());
    return ExitCode.ok;
  }
  if (first === "-v" || first === "--version" || first === "version") {
    process.stdout.write(`samsa ${version}\n`);
    return ExitCode.ok;
  }
  const entry = registry.find((e) => e.name === first);
  if (entry === undefined) {
    return usageFailure("", new UsageError(`unknown command '${first}'`, "samsa --help"));
  }
  const loaded = await entry.load();
  let command: Command;
  let remaining: readonly string[];
  if (isGroup(loaded)) {
    const [sub, ...subArgs] = rest;
    const help = renderGroupHelp(
      loaded.name,
      loaded.summary,
      loaded.commands.map((c) => ({ name: c.spec.name.split(" ").slice(1).join(" "), summary: c.spec.summary })),
    );
    if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") {
      (sub === undefined ? process.stderr : process.stdout).write(help);
      return sub === undefined ? ExitCode.usage : ExitCode.ok;
    }
    const found = loaded.commands.find((c) => c.spec.name === `${loaded.name} ${sub}`);
    if (found === undefined)
      return usageFailure(loaded.name, new UsageError(`unknown command '${sub}'`, `samsa ${loaded.name} --help`));
    command = found;
    remaining = subArgs;
  } else {
    command = loaded;
    remaining = rest;
  }
  const name = command.spec.name;
  const controller = new AbortController();
  const removeHandlers = handleInterrupts(controller);
  // A closed pipe (`samsa consume t | head`) ends the command quietly, as for any Unix tool.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") {
      controller.abort();
      process.exit(ExitCode.ok);
    }
  });
  try {
    const args = parseCommand(command.spec, remaining);
    if (args === undefined) {
      process.stdout.write(renderHelp(command.spec));
      return ExitCode.ok;
    }
    return await command.run(args, processContext(controller.signal));
  } catch (error) {
    const failure =
      error instanceof CliError
        ? error
        : controller.signal.aborted
          ? new CliError("interrupted", { exitCode: ExitCode.interrupted })
          : describeFailure(error, "failed");
    process.stderr.write(failureLine(name, failure) + "\n");
    return failure.exitCode;
  } finally {
    removeHandlers();
  }
}

process.exitCode = await main(process.argv.slice(2));
// Client libraries may hold sockets or timers for a moment after closing; the answer is known.
setTimeout(() => process.exit(), 2000).unref();
