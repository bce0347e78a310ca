#!/usr/bin/env node
// Lets forge drive the pinned solc-js (npm `solc`) as if it were a native solc binary,
// because forge cannot download a native compiler on these machines.
// forge only asks two things of a compiler: `--version` and `--standard-json` on stdin.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const args = process.argv.slice(2);

if (args.includes("--version")) {
  // forge parses the `Version: X.Y.Z+commit.H` line.
  const full = solc.version().replace(/\.Emscripten\.clang$/, "");
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${full}\n`);
  process.exit(0);
}

if (!args.includes("--standard-json")) {
  process.stderr.write("solc-shim: only --version and --standard-json are supported\n");
  process.exit(2);
}

const baseIdx = args.indexOf("--base-path");
const basePath = baseIdx >= 0 ? args[baseIdx + 1] : process.cwd();

// forge sends full sources, so this only serves imports it did not inline.
function findImports(importPath) {
  const candidate = path.isAbsolute(importPath) ? importPath : path.join(basePath, importPath);
  try {
    return { contents: fs.readFileSync(candidate, "utf8") };
  } catch (err) {
    return { error: `solc-shim: cannot read ${candidate}: ${err.message}` };
  }
}

const input = fs.readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
