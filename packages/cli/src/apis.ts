// `samsa apis`: the protocol layer's API registry as a table (or JSON lines for scripts).
import { apiSpecs } from "@samsa/protocol";
import type { ApiKey, ApiSpec } from "@samsa/protocol";

function span(min: number, max: number): string {
  if (min > max) return "-";
  return max === Infinity ? `${min}+` : min === max ? `${min}` : `${min}-${max}`;
}

export function apisTable(options: { json: boolean }): string {
  const specs = (Object.values(apiSpecs) as ApiSpec<ApiKey>[]).sort((a, b) => a.key - b.key);
  if (options.json) {
    return specs
      .map((s) =>
        JSON.stringify({
          key: s.key,
          name: s.name,
          minVersion: s.versions.min,
          maxVersion: s.versions.max,
          flexibleFrom: s.flexibleVersions.min <= s.flexibleVersions.max ? s.flexibleVersions.min : null,
        }),
      )
      .map((line) => line + "\n")
      .join("");
  }
  const rows = specs.map((s) => [
    String(s.key),
    s.name,
    span(s.versions.min, s.versions.max),
    span(s.flexibleVersions.min, s.flexibleVersions.max),
    s.deprecatedVersions === null ? "" : span(s.deprecatedVersions.min, s.deprecatedVersions.max),
  ]);
  const head = ["KEY", "API", "VERSIONS", "FLEXIBLE", "DEPRECATED"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd() + "\n";
  return line(head) + rows.map(line).join("") + `${specs.length} APIs\n`;
}
