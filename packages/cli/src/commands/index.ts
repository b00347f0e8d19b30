// The registry of top-level commands: one entry per file in this directory, loaded on demand so
// that `samsa consume` does not load the broker and `samsa start` does not load the client.
// A new command group adds one line here and one file next to this one.
import type { Command, CommandGroup } from "../framework/command.ts";

export interface RegistryEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command | CommandGroup>;
}

export const registry: readonly RegistryEntry[] = [
  {
    name: "topic",
    summary: "create, list, describe, alter, delete, back up and restore topics",
    load: async () => (await import("./topic.ts")).topicGroup,
  },
  {
    name: "produce",
    summary: "write records from stdin or a file to a topic",
    load: async () => (await import("./produce.ts")).produceCommand,
  },
  {
    name: "consume",
    summary: "read records from a topic (from any offset or time, with or without a group)",
    load: async () => (await import("./consume.ts")).consumeCommand,
  },
  {
    name: "records",
    summary: "delete records before an offset or a time (DeleteRecords)",
    load: async () => (await import("./records.ts")).recordsGroup,
  },
  {
    name: "group",
    summary: "list, describe, delete consumer groups; seek them to an offset or a time (replay)",
    load: async () => (await import("./group.ts")).groupGroup,
  },
  {
    name: "cluster",
    summary: "show the cluster: id, controller, brokers, counts, feature levels",
    load: async () => (await import("./cluster.ts")).clusterGroup,
  },
  {
    name: "bench",
    summary: "quick produce/consume throughput and latency check",
    load: async () => (await import("./bench.ts")).benchGroup,
  },
  {
    name: "start",
    summary: "run a Samsa broker in the foreground",
    load: async () => (await import("./start.ts")).startCommand,
  },
  {
    name: "apis",
    summary: "list the Kafka APIs this build of Samsa can encode and decode",
    load: async () => (await import("./apis.ts")).apisCommand,
  },
];

export function isGroup(value: Command | CommandGroup): value is CommandGroup {
  return "commands" in value;
}
