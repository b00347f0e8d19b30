// Reads a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per file, limited to
// a window of the run (CLOCK_MONOTONIC µs, the clock V8 stamps profiles with on Linux), so process
// start and shutdown do not dilute the steady state. Native functions are named with their nearest
// JavaScript caller, which is where a fix would go.

export interface Hotspot {
  readonly function: string;
  /** `path:line` (relative to `root` when under it), `native, from <fn> <path:line>`, or "". */
  readonly location: string;
  readonly selfMs: number;
  /** Share of the sampled time not spent idle. */
  readonly busyPct: number;
  /** The callers that account for most of it (`fn path:line`, share of this function's time). */
  readonly callers?: readonly { readonly caller: string; readonly pct: number }[];
}

export interface FileHotspot {
  readonly file: string;
  readonly selfMs: number;
  readonly busyPct: number;
}

export interface ProfileSummary {
  readonly functions: readonly Hotspot[];
  readonly files: readonly FileHotspot[];
  /**
   * Time charged to the nearest frame of the repository's own code (`packages/…`) on each sampled
   * stack: its self time plus what it spends in Node's internals and node_modules — where to look.
   */
  readonly ownFrames: readonly Hotspot[];
  readonly sampledMs: number;
  readonly idleMs: number;
  /** False when no sample fell in the window (clock mismatch): the whole profile was used. */
  readonly windowed: boolean;
}

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children: readonly number[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function numbers(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === "number") : [];
}

function parseNodes(value: unknown): ProfileNode[] {
  if (!Array.isArray(value)) throw new Error("cpuprofile: nodes is not an array");
  return value.flatMap((raw): ProfileNode[] => {
    if (!isRecord(raw) || typeof raw["id"] !== "number" || !isRecord(raw["callFrame"])) return [];
    const frame = raw["callFrame"];
    return [
      {
        id: raw["id"],
        callFrame: {
          functionName: typeof frame["functionName"] === "string" ? frame["functionName"] : "",
          url: typeof frame["url"] === "string" ? frame["url"] : "",
          lineNumber: typeof frame["lineNumber"] === "number" ? frame["lineNumber"] : -1,
        },
        children: numbers(raw["children"]),
      },
    ];
  });
}

/** V8's pseudo-frames (no code of their own). */
const specialNodes: ReadonlySet<string> = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

export function summarizeProfile(options: {
  readonly profileJson: string;
  readonly root: string;
  readonly top: number;
  readonly windowUs?: { readonly fromUs: number; readonly toUs: number };
}): ProfileSummary {
  const profile: unknown = JSON.parse(options.profileJson);
  if (!isRecord(profile)) throw new Error("cpuprofile: not an object");
  const nodes = parseNodes(profile["nodes"]);
  const samples = numbers(profile["samples"]);
  const deltas = numbers(profile["timeDeltas"]);
  const startUs = typeof profile["startTime"] === "number" ? profile["startTime"] : 0;
  const nodeById = new Map(nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of nodes) for (const child of n.children) parentOf.set(child, n.id);
  const shortUrl = (url: string): string => url.replace(`file://${options.root}/`, "").replace(/^file:\/\//, "");
  const describe = (node: ProfileNode): { fn: string; location: string; file: string } => {
    const frame = node.callFrame;
    const fn = frame.functionName === "" ? "(anonymous)" : frame.functionName;
    if (frame.url !== "")
      return { fn, location: `${shortUrl(frame.url)}:${frame.lineNumber + 1}`, file: shortUrl(frame.url) };
    if (specialNodes.has(frame.functionName)) return { fn, location: "", file: fn };
    for (let id = parentOf.get(node.id); id !== undefined; id = parentOf.get(id)) {
      const caller = nodeById.get(id)?.callFrame;
      if (caller !== undefined && caller.url !== "") {
        const name = caller.functionName === "" ? "(anonymous)" : caller.functionName;
        return {
          fn,
          location: `native, from ${name} ${shortUrl(caller.url)}:${caller.lineNumber + 1}`,
          file: shortUrl(caller.url),
        };
      }
    }
    return { fn, location: "native", file: "(native)" };
  };

  const ownFrameCache = new Map<number, { fn: string; location: string }>();
  const ownFrame = (node: ProfileNode): { fn: string; location: string } => {
    const cached = ownFrameCache.get(node.id);
    if (cached !== undefined) return cached;
    let found = { fn: "(outside packages/)", location: "" };
    for (let id: number | undefined = node.id; id !== undefined; id = parentOf.get(id)) {
      const frame = nodeById.get(id)?.callFrame;
      if (frame === undefined || frame.url === "") continue;
      const path = shortUrl(frame.url);
      if (path.startsWith("packages/")) {
        found = {
          fn: frame.functionName === "" ? "(anonymous)" : frame.functionName,
          location: `${path}:${frame.lineNumber + 1}`,
        };
        break;
      }
    }
    ownFrameCache.set(node.id, found);
    return found;
  };

  // Sample i stands for the time until sample i + 1.
  const times: number[] = [];
  let t = startUs;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    times.push(t);
  }
  const window = options.windowUs;
  const windowed = window !== undefined && times.some((time) => time >= window.fromUs && time <= window.toUs);
  const byFunction = new Map<string, { fn: string; location: string; us: number; callers: Map<string, number> }>();
  const byFile = new Map<string, number>();
  const byOwnFrame = new Map<string, { fn: string; location: string; us: number }>();
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < samples.length; i++) {
    const time = times[i] ?? 0;
    if (windowed && (time < window.fromUs || time > window.toUs)) continue;
    const us = Math.max(0, deltas[i + 1] ?? 0);
    const node = nodeById.get(samples[i] ?? -1);
    if (node === undefined) continue;
    const { fn, location, file } = describe(node);
    totalUs += us;
    if (fn === "(idle)") {
      idleUs += us;
      continue;
    }
    const key = `${fn}@${location}`;
    const entry = byFunction.get(key) ?? { fn, location, us: 0, callers: new Map<string, number>() };
    entry.us += us;
    byFunction.set(key, entry);
    const parent = nodeById.get(parentOf.get(node.id) ?? -1);
    if (parent !== undefined) {
      const caller = describe(parent);
      const callerKey = caller.location === "" ? caller.fn : `${caller.fn} ${caller.location}`;
      entry.callers.set(callerKey, (entry.callers.get(callerKey) ?? 0) + us);
    }
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    const own = specialNodes.has(node.callFrame.functionName) ? { fn, location: "" } : ownFrame(node);
    const ownKey = `${own.fn}@${own.location}`;
    const ownEntry = byOwnFrame.get(ownKey) ?? { ...own, us: 0 };
    ownEntry.us += us;
    byOwnFrame.set(ownKey, ownEntry);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  return {
    functions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, options.top)
      .map((e) => ({
        function: e.fn,
        location: e.location,
        selfMs: e.us / 1000,
        busyPct: (e.us / busyUs) * 100,
        callers: [...e.callers.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 2)
          .map(([caller, callerUs]) => ({ caller, pct: (callerUs / Math.max(1, e.us)) * 100 })),
      })),
    ownFrames: [...byOwnFrame.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, options.top)
      .map((e) => ({ function: e.fn, location: e.location, selfMs: e.us / 1000, busyPct: (e.us / busyUs) * 100 })),
    files: [...byFile.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.top)
      .map(([file, us]) => ({ file, selfMs: us / 1000, busyPct: (us / busyUs) * 100 })),
    sampledMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    windowed,
  };
}
