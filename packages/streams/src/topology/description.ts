// Topology.describe(): Kafka's TopologyDescription — sub-topologies with their nodes (sources,
// processors, sinks), each node's predecessors and successors, connected stores and global stores
// — as plain data, rendered as Kafka's text (`toString`, byte for byte what Kafka prints for the
// same topology) or as a Mermaid flowchart (`toMermaid`).
import type { InternalTopologyBuilder, NodeGroup, TopologyNode } from "./internal-builder.ts";

interface NodeDescriptionBase {
  readonly name: string;
  /** Names, in Kafka's order (larger sub-tree first, then by name). */
  readonly predecessors: readonly string[];
  readonly successors: readonly string[];
}

export interface SourceDescription extends NodeDescriptionBase {
  readonly type: "source";
  readonly topics: readonly string[];
}

export interface ProcessorDescription extends NodeDescriptionBase {
  readonly type: "processor";
  readonly stores: readonly string[];
}

export interface SinkDescription extends NodeDescriptionBase {
  readonly type: "sink";
  /** The topic; undefined when a topic-name extractor picks it per record. */
  readonly topic: string | undefined;
  /** The extractor's name, for dynamic sinks. */
  readonly extractor: string | undefined;
}

export type NodeDescription = SourceDescription | ProcessorDescription | SinkDescription;

export interface SubtopologyDescription {
  readonly id: number;
  /** In Kafka's order: larger sub-tree first, then by name (so sources come first). */
  readonly nodes: readonly NodeDescription[];
}

export interface GlobalStoreDescription {
  readonly id: number;
  readonly source: SourceDescription;
  readonly processor: ProcessorDescription;
}

export class TopologyDescription {
  readonly subtopologies: readonly SubtopologyDescription[];
  readonly globalStores: readonly GlobalStoreDescription[];

  constructor(subtopologies: readonly SubtopologyDescription[], globalStores: readonly GlobalStoreDescription[]) {
    this.subtopologies = subtopologies;
    this.globalStores = globalStores;
  }

  /** Kafka's TopologyDescription.toString(). */
  toString(): string {
    const parts: { id: number; text: string }[] = [
      ...this.subtopologies.map((s) => ({ id: s.id, text: `Sub-topology: ${s.id}\n${nodesText(s.nodes)}\n` })),
      ...this.globalStores.map((g) => ({
        id: g.id,
        text:
          `Sub-topology: ${g.id} for global store (will not generate tasks)\n` +
          `    ${nodeText(g.source)}\n    ${nodeText(g.processor)}\n`,
      })),
    ].sort((a, b) => a.id - b.id);
    return "Topologies:\n " + parts.map((part) => "  " + part.text).join("");
  }

  /** A Mermaid flowchart: a box per sub-topology, topics as parallelograms, stores as cylinders. */
  toMermaid(): string {
    const lines = ["flowchart TD"];
    const nodeIds = new Map<string, string>();
    const topicIds = new Map<string, string>();
    const storeIds = new Map<string, string>();
    const edges: string[] = [];
    const idOf = (map: Map<string, string>, prefix: string, key: string): string => {
      let id = map.get(key);
      if (id === undefined) {
        id = `${prefix}${map.size}`;
        map.set(key, id);
      }
      return id;
    };
    const renderNodes = (nodes: readonly NodeDescription[]): string[] => {
      const out: string[] = [];
      for (const node of nodes) {
        const id = idOf(nodeIds, "n", node.name);
        switch (node.type) {
          case "source":
            out.push(`    ${id}(["${mermaidText(`Source: ${node.name}`)}"])`);
            for (const topic of node.topics) edges.push(`  ${idOf(topicIds, "t", topic)} --> ${id}`);
            break;
          case "processor":
            out.push(`    ${id}["${mermaidText(`Processor: ${node.name}`)}"]`);
            for (const store of node.stores) {
              const storeId = idOf(storeIds, "s", store);
              out.push(`    ${storeId}[("${mermaidText(store)}")]`);
              edges.push(`  ${id} -.- ${storeId}`);
            }
            break;
          case "sink":
            out.push(`    ${id}(["${mermaidText(`Sink: ${node.name}`)}"])`);
            edges.push(
              `  ${id} --> ${idOf(topicIds, "t", node.topic ?? `(extractor: ${node.extractor ?? "anonymous"})`)}`,
            );
            break;
        }
      }
      for (const node of nodes) {
        for (const successor of node.successors)
          edges.push(`  ${idOf(nodeIds, "n", node.name)} --> ${idOf(nodeIds, "n", successor)}`);
      }
      return out;
    };
    const blocks = [
      ...this.subtopologies.map((s) => ({ id: s.id, title: `Sub-topology: ${s.id}`, nodes: s.nodes })),
      ...this.globalStores.map((g) => ({ id: g.id, title: `Global store: ${g.id}`, nodes: [g.source, g.processor] })),
    ].sort((a, b) => a.id - b.id);
    for (const block of blocks) {
      lines.push(`  subgraph sub${block.id}["${mermaidText(block.title)}"]`);
      lines.push(...renderNodes(block.nodes));
      lines.push("  end");
    }
    for (const [topic, id] of topicIds) lines.push(`  ${id}[/"${mermaidText(topic)}"/]`);
    lines.push(...edges);
    return lines.join("\n") + "\n";
  }
}

function nodeNames(names: readonly string[]): string {
  return names.length === 0 ? "none" : names.join(", ");
}

function nodeText(node: NodeDescription): string {
  switch (node.type) {
    case "source":
      return `Source: ${node.name} (topics: [${node.topics.join(", ")}])\n      --> ${nodeNames(node.successors)}`;
    case "processor":
      return (
        `Processor: ${node.name} (stores: [${node.stores.join(", ")}])\n` +
        `      --> ${nodeNames(node.successors)}\n      <-- ${nodeNames(node.predecessors)}`
      );
    case "sink":
      return node.topic !== undefined
        ? `Sink: ${node.name} (topic: ${node.topic})\n      <-- ${nodeNames(node.predecessors)}`
        : `Sink: ${node.name} (extractor class: ${node.extractor ?? "anonymous"})\n      <-- ${nodeNames(node.predecessors)}`;
  }
}

function nodesText(nodes: readonly NodeDescription[]): string {
  return nodes.map((node) => `    ${nodeText(node)}\n`).join("");
}

function mermaidText(text: string): string {
  return text.replaceAll('"', "#quot;");
}

/** Describes the builder's topology as Kafka's InternalTopologyBuilder.describe() does. */
export function describeTopology(builder: InternalTopologyBuilder): TopologyDescription {
  const subtopologies: SubtopologyDescription[] = [];
  const globalStores: GlobalStoreDescription[] = [];
  for (const group of builder.nodeGroups()) {
    if (group.global) {
      const entry = [...builder.globalStores.values()].find((g) => group.nodes.includes(g.sourceName));
      if (entry === undefined) continue;
      globalStores.push({
        id: group.id,
        source: {
          type: "source",
          name: entry.sourceName,
          topics: [entry.topic],
          predecessors: [],
          successors: [entry.processorName],
        },
        processor: {
          type: "processor",
          name: entry.processorName,
          stores: [entry.storeName],
          predecessors: [entry.sourceName],
          successors: [],
        },
      });
    } else {
      subtopologies.push({ id: group.id, nodes: describeGroup(builder, group) });
    }
  }
  return new TopologyDescription(subtopologies, globalStores);
}

function describeGroup(builder: InternalTopologyBuilder, group: NodeGroup): NodeDescription[] {
  const members = new Set(group.nodes);
  const children = builder.children();
  const successorsOf = (name: string): string[] => (children.get(name) ?? []).filter((child) => members.has(child));
  // Kafka's node size: 1 + the sizes of its successors (a node reached by two paths counts twice).
  const sizes = new Map<string, number>();
  const sizeOf = (name: string): number => {
    let size = sizes.get(name);
    if (size === undefined) {
      size = 1;
      for (const successor of successorsOf(name)) size += sizeOf(successor);
      sizes.set(name, size);
    }
    return size;
  };
  const order = (a: string, b: string): number => sizeOf(b) - sizeOf(a) || (a < b ? -1 : a > b ? 1 : 0);
  const describeNode = (node: TopologyNode): NodeDescription => {
    const successors = successorsOf(node.name).sort(order);
    switch (node.kind) {
      case "source":
        return { type: "source", name: node.name, topics: node.topics, predecessors: [], successors };
      case "processor":
        return {
          type: "processor",
          name: node.name,
          stores: node.stores,
          predecessors: [...node.parents].sort(order),
          successors,
        };
      case "sink":
        return {
          type: "sink",
          name: node.name,
          topic: typeof node.topic === "string" ? node.topic : undefined,
          extractor: typeof node.topic === "string" ? undefined : node.topic.name || "anonymous",
          predecessors: [...node.parents].sort(order),
          successors: [],
        };
    }
  };
  return [...group.nodes]
    .sort(order)
    .map((name) => builder.nodes.get(name))
    .filter((node): node is TopologyNode => node !== undefined)
    .map(describeNode);
}
