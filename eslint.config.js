// Lint rules for the whole monorepo. Type-aware rules run on hand-written code; generated
// codecs are checked by tsc only (they are produced by scripts/gen-protocol.ts).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      ".scratch/**",
      "packages/protocol/src/generated/**",
      "eslint.config.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            {
              from: "package",
              package: "node:test",
              name: ["test", "describe", "it", "suite", "before", "after", "beforeEach", "afterEach"],
            },
          ],
        },
      ],
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/broker/src/**", "@samsa/broker/src/*"], message: "use the package's public API" }] },
      ],
    },
  },
  {
    // The protocol layer is sans-io: no sockets, files or processes.
    files: ["packages/protocol/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            "node:net",
            "node:fs",
            "node:fs/promises",
            "node:tls",
            "node:child_process",
            "node:dgram",
            "node:http",
          ].map((name) => ({ name, message: "packages/protocol is sans-io" })),
          patterns: [
            { group: ["@samsa/broker", "@samsa/cli", "@samsa/testkit"], message: "protocol depends on nothing" },
          ],
        },
      ],
    },
  },
);
