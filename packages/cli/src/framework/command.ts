// What a command is and what it runs with: its spec (parsing and --help), and a context holding
// the output streams, the environment, stdin and the interrupt signal (Ctrl-C / SIGTERM). A first
// Ctrl-C aborts the signal so the command stops cleanly (flushes, commits, closes connections);
// a second one exits at once.
import type { Readable } from "node:stream";
import type { Args, CommandSpec } from "./args.ts";
import { ExitCode } from "./errors.ts";
import type { ExitCodeValue } from "./errors.ts";
import type { Sink, Style } from "./output.ts";
import { styleFor } from "./output.ts";

export interface Context {
  readonly stdout: Sink;
  readonly stderr: Sink & { readonly columns?: number };
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on the first Ctrl-C or SIGTERM. */
  readonly signal: AbortSignal;
  /** Styles for stdout (plain when stdout is not a terminal). */
  readonly style: Style;
  /** Whether stderr is a terminal (progress bars are drawn only then). */
  readonly stderrIsTTY: boolean;
  readonly now: () => number;
}

export interface Command {
  readonly spec: CommandSpec;
  run(args: Args, context: Context): Promise<ExitCodeValue>;
}

/** A command with subcommands (`samsa topic create`). */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly Command[];
}

export function processContext(signal: AbortSignal): Context {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    signal,
    style: styleFor(process.stdout, process.env),
    stderrIsTTY: process.stderr.isTTY,
    now: Date.now,
  };
}

/**
 * Installs SIGINT/SIGTERM handlers: the first aborts the controller, a second one (later than
 * 250 ms) exits with 130 at once. Returns a function that removes them.
 */
export function handleInterrupts(controller: AbortController): () => void {
  let firstAt = 0;
  const onSignal = (): void => {
    if (firstAt === 0) {
      firstAt = Date.now();
      controller.abort();
      return;
    }
    // One Ctrl-C can arrive twice (to the process and to its group, as `timeout` sends it).
    if (Date.now() - firstAt < 250) return;
    process.stderr.write("\nsamsa: interrupted again, exiting now\n");
    process.exit(ExitCode.interrupted);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}

/** Resolves after `ms`, or early when the signal aborts (then with false). */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Writes to a stream and waits when it is full (a slow pipe reader slows the command down). */
export function writeOut(stream: Sink, text: string): Promise<void> | undefined {
  const ok = stream.write(text);
  if (ok !== false) return undefined;
  const s = stream as Sink & {
    once?: (event: string, listener: () => void) => unknown;
    off?: (event: string, listener: () => void) => unknown;
  };
  if (typeof s.once !== "function") return undefined;
  return new Promise((resolve) => {
    const done = (): void => {
      s.off?.("drain", done);
      s.off?.("close", done);
      resolve();
    };
    s.once?.("drain", done);
    s.once?.("close", done);
  });
}
