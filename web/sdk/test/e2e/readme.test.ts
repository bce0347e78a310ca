// Runs every TypeScript example of README.md against the devnet, as a reader would (the manifest and the user's
// key in the environment), so the documentation cannot rot.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, inject, it, vi } from "vitest";
import { devnet } from "./fixture.js";

const net = devnet();
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
const folder = new URL("./.readme/", import.meta.url);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("README examples", () => {
  it("exist", () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
  });

  it.each(examples.map((code, i) => [i + 1, code] as const))(
    "example %i runs and prints",
    async (n, code) => {
      process.env.NXTP_MANIFEST = inject("manifestPath");
      process.env.USER_KEY = net.manifest.dev_keys.user;
      mkdirSync(folder, { recursive: true });
      const file = new URL(`example-${n}.ts`, folder);
      writeFileSync(file, code);
      const printed: unknown[][] = [];
      const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
        printed.push(args);
      });
      try {
        await import(/* @vite-ignore */ file.href);
      } finally {
        log.mockRestore();
      }
      expect(printed.length, `example ${n} printed nothing`).toBeGreaterThan(0);
    },
  );
});
