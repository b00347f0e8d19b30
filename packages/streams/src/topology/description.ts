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
  const { predecessorsOf, successorsOf, sizeOf } = connectAsKafka(builder, group);
  const order = (a: string, b: string): number => sizeOf(b) - sizeOf(a) || (a < b ? -1 : a > b ? 1 : 0);
  const describeNode = (node: TopologyNode): NodeDescription => {
    const successors = successorsOf(node.name);
    switch (node.kind) {
      case "source":
        return { type: "source", name: node.name, topics: node.topics, predecessors: [], successors };
      case "processor":
        return {
          type: "processor",
          name: node.name,
          stores: javaHashSetOrder(node.stores),
          predecessors: predecessorsOf(node.name),
          successors,
        };
      case "sink":
        return {
          type: "sink",
          name: node.name,
          topic: typeof node.topic === "string" ? node.topic : undefined,
          extractor: typeof node.topic === "string" ? undefined : node.topic.name || "anonymous",
          predecessors: predecessorsOf(node.name),
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

/**
 * Connects a group's nodes as Kafka's describeSubtopology does, so predecessor and successor lists
 * come out in Kafka's order: nodes in java.util.HashMap order, each linked to its parents in turn;
 * a node's size (1 + its successors' sizes, a node reached by two paths counting twice) grows as
 * links are added, and each list is a java.util.TreeSet ordered by (size descending, name) as the
 * sizes were when an entry was added — later growth does not reorder it.
 */
function connectAsKafka(
  builder: InternalTopologyBuilder,
  group: NodeGroup,
): {
  readonly predecessorsOf: (name: string) => string[];
  readonly successorsOf: (name: string) => string[];
  readonly sizeOf: (name: string) => number;
} {
  const members = new Set(group.nodes);
  const sizes = new Map<string, number>();
  const sizeOf = (name: string): number => sizes.get(name) ?? 1;
  const compare = (a: string, b: string): number => sizeOf(b) - sizeOf(a) || (a < b ? -1 : a > b ? 1 : 0);
  const predecessors = new Map<string, JavaTreeSet>();
  const successors = new Map<string, JavaTreeSet>();
  const setOf = (sets: Map<string, JavaTreeSet>, name: string): JavaTreeSet => {
    let set = sets.get(name);
    if (set === undefined) {
      set = new JavaTreeSet(compare);
      sets.set(name, set);
    }
    return set;
  };
  const grow = (name: string, delta: number): void => {
    sizes.set(name, sizeOf(name) + delta);
    for (const predecessor of predecessors.get(name)?.values() ?? []) grow(predecessor, delta);
  };
  for (const name of javaHashMapOrder(group.nodes)) {
    const node = builder.nodes.get(name);
    if (node === undefined || node.kind === "source") continue;
    for (const parent of node.parents) {
      if (!members.has(parent)) continue;
      setOf(predecessors, name).add(parent);
      setOf(successors, parent).add(name);
      grow(parent, sizeOf(name));
    }
  }
  return {
    predecessorsOf: (name) => predecessors.get(name)?.values() ?? [],
    successorsOf: (name) => successors.get(name)?.values() ?? [],
    sizeOf,
  };
}

type Side = "left" | "right";
const opposite = (side: Side): Side => (side === "left" ? "right" : "left");

interface TreeEntry {
  readonly key: string;
  left: TreeEntry | undefined;
  right: TreeEntry | undefined;
  parent: TreeEntry | undefined;
  red: boolean;
}

/**
 * java.util.TreeSet's red-black tree (TreeMap.put and fixAfterInsertion), so that entries compared
 * with a comparator whose answers change over time land where Java puts them.
 */
class JavaTreeSet {
  readonly #compare: (a: string, b: string) => number;
  #root: TreeEntry | undefined;

  constructor(compare: (a: string, b: string) => number) {
    this.#compare = compare;
  }

  add(key: string): void {
    let parent: TreeEntry | undefined;
    let cmp = 0;
    for (let t = this.#root; t !== undefined;) {
      parent = t;
      cmp = this.#compare(key, t.key);
      if (cmp < 0) t = t.left;
      else if (cmp > 0) t = t.right;
      else return;
    }
    const entry: TreeEntry = { key, left: undefined, right: undefined, parent, red: true };
    if (parent === undefined) {
      entry.red = false;
      this.#root = entry;
      return;
    }
    if (cmp < 0) parent.left = entry;
    else parent.right = entry;
    this.#fixAfterInsertion(entry);
  }

  /** In-order: the set's iteration order. */
  values(): string[] {
    const out: string[] = [];
    const visit = (entry: TreeEntry | undefined): void => {
      if (entry === undefined) return;
      visit(entry.left);
      out.push(entry.key);
      visit(entry.right);
    };
    visit(this.#root);
    return out;
  }

  #fixAfterInsertion(inserted: TreeEntry): void {
    let x: TreeEntry | undefined = inserted;
    const isRed = (e: TreeEntry | undefined): boolean => e?.red === true;
    const setRed = (e: TreeEntry | undefined, red: boolean): void => {
      if (e !== undefined) e.red = red;
    };
    while (x !== undefined && x !== this.#root && isRed(x.parent)) {
      const parent: TreeEntry | undefined = x.parent;
      const grandparent: TreeEntry | undefined = parent?.parent;
      // Two mirrored cases: the parent hangs on the grandparent's `side`, the uncle on the other.
      const side: Side = parent === grandparent?.left ? "left" : "right";
      const other = opposite(side);
      const uncle: TreeEntry | undefined = grandparent?.[other];
      if (isRed(uncle)) {
        setRed(parent, false);
        setRed(uncle, false);
        setRed(grandparent, true);
        x = grandparent;
      } else {
        if (x === parent?.[other]) {
          x = parent;
          this.#rotate(x, side);
        }
        setRed(x?.parent, false);
        setRed(x?.parent?.parent, true);
        this.#rotate(x?.parent?.parent, other);
      }
    }
    setRed(this.#root, false);
  }

  /** Turns `p` down to its `side`: its child on the other side takes its place (rotateLeft / rotateRight). */
  #rotate(p: TreeEntry | undefined, side: Side): void {
    const other = opposite(side);
    const child = p?.[other];
    if (p === undefined || child === undefined) return;
    const inner = child[side];
    p[other] = inner;
    if (inner !== undefined) inner.parent = p;
    child.parent = p.parent;
    if (p.parent === undefined) this.#root = child;
    else if (p.parent[side] === p) p.parent[side] = child;
    else p.parent[other] = child;
    child[side] = p;
    p.parent = child;
  }
}

/**
 * Names in the order a java.util.HashMap (or HashSet) filled with them one by one iterates: by
 * hash bucket of its final table, then in the order they were added.
 */
function javaHashMapOrder(names: readonly string[]): string[] {
  let capacity = 16;
  while (names.length > capacity * 0.75) capacity *= 2;
  return byBucket(names, capacity);
}

function byBucket(names: readonly string[], capacity: number): string[] {
  const bucketOf = (name: string): number => {
    const hash = javaStringHash(name);
    return (hash ^ (hash >>> 16)) & (capacity - 1);
  };
  return names
    .map((name, index) => ({ name, index, bucket: bucketOf(name) }))
    .sort((a, b) => a.bucket - b.bucket || a.index - b.index)
    .map((entry) => entry.name);
}

/** Java's String.hashCode. */
function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * Names in the order a java.util.HashSet holding them iterates (Kafka keeps a processor's stores in
 * one and prints it as is): by hash bucket, then in the order they were added.
 */
export function javaHashSetOrder(names: readonly string[]): string[] {
  if (names.length < 2) return [...names];
  // The table size of `new HashSet<>(collection)`: max(size / 0.75 + 1, 16), rounded up to a power of two.
  const needed = Math.max(Math.floor(names.length / 0.75) + 1, 16);
  let capacity = 16;
  while (capacity < needed) capacity *= 2;
  return byBucket(names, capacity);
}
