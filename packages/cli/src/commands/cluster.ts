// `samsa cluster info`: what a cluster is — its id, controller, brokers (id, address, rack), how
// many topics and partitions it holds, and what one broker says about itself in ApiVersions (how
// many APIs it serves, its feature levels such as metadata.version). Metadata through the client
// library; ApiVersions v3 (whose features the library does not decode) with @samsa/protocol.
import type { Admin } from "@platformatic/kafka";
import { ApiKey } from "@samsa/protocol";
import type { Command, CommandGroup } from "../framework/command.ts";
import { connectionSettings, createAdmin, using } from "../framework/connection.ts";
import { describeFailure, ExitCode } from "../framework/errors.ts";
import { formatCount, table, toJson } from "../framework/output.ts";
import { sendRaw } from "../kafka/raw.ts";

export interface BrokerApis {
  /** How many APIs the broker serves (ApiVersions). */
  readonly apiCount: number;
  readonly finalizedFeatures: readonly { readonly name: string; readonly level: number }[];
  readonly supportedFeatures: readonly {
    readonly name: string;
    readonly minVersion: number;
    readonly maxVersion: number;
  }[];
}

/** ApiVersions v3 to one broker; undefined when it cannot say (an old broker, a failure). */
async function brokerApis(client: Admin, broker: { host: string; port: number }): Promise<BrokerApis | undefined> {
  try {
    const answer = await sendRaw(client, broker, {
      apiKey: ApiKey.ApiVersions,
      apiVersion: 3,
      body: { clientSoftwareName: "samsa-cli", clientSoftwareVersion: "0.1.0" },
    });
    if (answer.errorCode !== 0) return undefined;
    return {
      apiCount: answer.apiKeys.length,
      finalizedFeatures: answer.finalizedFeatures
        .map((f) => ({ name: f.name, level: f.maxVersionLevel }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      supportedFeatures: answer.supportedFeatures
        .map((f) => ({ name: f.name, minVersion: f.minVersion, maxVersion: f.maxVersion }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  } catch {
    return undefined;
  }
}

const infoCommand: Command = {
  spec: {
    name: "cluster info",
    summary: "Show the cluster: id, controller, brokers, topic and partition counts, feature levels.",
    connects: true,
    reads: true,
    options: { internal: { type: "boolean", short: "i", description: "count internal topics too" } },
    notes: [
      "Kafka's protocol does not carry the broker's software name or version; the number of APIs and\n" +
        "the finalized feature levels (metadata.version, ...) of the bootstrap broker are shown instead.",
    ],
    examples: ["samsa cluster info", "samsa cluster info -o json | jq .brokers"],
  },
  async run(args, context) {
    const format = args.output();
    return using(createAdmin(connectionSettings(args, context)), async (client) => {
      let topicNames: string[];
      let metadata;
      try {
        topicNames = await client.listTopics({ includeInternals: args.flag("internal") });
        metadata = await client.metadata({ topics: topicNames, forceUpdate: true });
      } catch (error) {
        throw describeFailure(error, "reading the cluster metadata");
      }
      const brokers = [...metadata.brokers]
        .map(([id, b]) => ({ id, host: b.host, port: b.port, rack: b.rack ?? null }))
        .sort((a, b) => a.id - b.id);
      let partitions = 0;
      for (const name of topicNames) partitions += metadata.topics.get(name)?.partitionsCount ?? 0;
      const first = brokers[0];
      const apis = first === undefined ? undefined : await brokerApis(client, first);
      const info = {
        clusterId: metadata.id,
        controller: metadata.controllerId,
        brokers,
        topics: topicNames.length,
        partitions,
        apiCount: apis?.apiCount ?? null,
        finalizedFeatures: apis?.finalizedFeatures ?? [],
        supportedFeatures: apis?.supportedFeatures ?? [],
      };
      if (format === "json") {
        context.stdout.write(toJson(info) + "\n");
        return ExitCode.ok;
      }
      const s = context.style;
      const features = info.finalizedFeatures.map((f) => `${f.name}=${f.level}`).join(", ");
      context.stdout.write(
        `${s.bold("Cluster ID")}  ${info.clusterId}\n` +
          `${s.bold("Controller")}  ${info.controller < 0 ? "-" : info.controller}\n` +
          `${s.bold("Brokers")}     ${brokers.length}\n` +
          `${s.bold("Topics")}      ${formatCount(info.topics)}${args.flag("internal") ? "" : " (without internal topics)"}\n` +
          `${s.bold("Partitions")}  ${formatCount(info.partitions)}\n` +
          `${s.bold("APIs")}        ${info.apiCount ?? "-"}\n` +
          `${s.bold("Features")}    ${features === "" ? "-" : features}\n\n`,
      );
      context.stdout.write(
        table(
          ["ID", "ADDRESS", "RACK", "ROLE"],
          brokers.map((b) => [
            String(b.id),
            `${b.host}:${b.port}`,
            b.rack ?? "-",
            b.id === info.controller ? s.cyan("controller") : "",
          ]),
          { style: s, alignRight: [0] },
        ),
      );
      return ExitCode.ok;
    });
  },
};

export const clusterGroup: CommandGroup = {
  name: "cluster",
  summary: "Show what a cluster is: id, controller, brokers, counts, feature levels.",
  commands: [infoCommand],
};
