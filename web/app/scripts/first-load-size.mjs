// The web app's figures into bench/results/sdk-ts.json (its other fields kept): the first-load size, i.e.
// everything index.html loads before the page runs (the HTML, its module scripts with their static imports,
// its stylesheets; not chunks loaded later on demand), gzipped at level 9; and, when the browser tests left
// them in test-results/timings.json, the times from the bridge page's send click to XCalled and to
// CompletedFast on the devnet.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const app = fileURLToPath(new URL("..", import.meta.url));
const dist = join(app, "dist");
const resultPath = join(app, "../../bench/results/sdk-ts.json");
const timingsPath = join(app, "test-results/timings.json");

const html = readFileSync(join(dist, "index.html"), "utf8");
const files = new Map([["index.html", Buffer.from(html)]]);
// Entry scripts and stylesheets, then each script's static imports (`import ... from "./x.js"`), transitively.
const queue = [...html.matchAll(/(?:src|href)="\.?\/?([^"]+\.(?:js|css))"/g)].map((match) => match[1]);
while (queue.length > 0) {
  const file = queue.shift();
  if (files.has(file)) continue;
  const body = readFileSync(join(dist, file));
  files.set(file, body);
  if (file.endsWith(".js")) {
    for (const match of body
      .toString()
      .matchAll(/\bimport\s*(?:[\w$*{}\s,]+from\s*)?["']\.\/([^"']+\.js)["']/g)) {
      queue.push(join(file, "..", match[1]));
    }
  }
}
const gzip = (buffer) => gzipSync(buffer, { level: 9 }).length;
const byKind = { html: 0, js: 0, css: 0 };
let raw = 0;
for (const [file, body] of files) {
  byKind[file.slice(file.lastIndexOf(".") + 1)] += gzip(body);
  raw += body.length;
}
const result = existsSync(resultPath) ? JSON.parse(readFileSync(resultPath, "utf8")) : {};
result.web_app_first_load = {
  what: "web/app/dist: index.html and the scripts and stylesheets it loads first (Vite production build)",
  files: [...files.keys()],
  raw_bytes: raw,
  gzip_bytes: byKind.html + byKind.js + byKind.css,
  gzip_bytes_by_kind: byKind,
};
if (existsSync(timingsPath)) {
  const { fast, measured_with: binary } = JSON.parse(readFileSync(timingsPath, "utf8"));
  result.web_send_to_xcalled_ms = fast.xcalledMs;
  // Executed: the recipient has the funds (fronted by routers); CompletedFast: the routers were reimbursed.
  result.web_send_to_executed_ms = fast.executedMs;
  result.web_send_to_completed_fast_ms = fast.completedMs;
  result.web_timings_note =
    "devnet (2 anvil chains, 0.5 s blocks), headless Chromium, bridge page: from the send click (approve + xcall by a dev account) to the page seeing XCalled, Executed (the recipient has the funds) and CompletedFast (the routers reimbursed through the messaging layer)" +
    (binary ? `; nxtp binary: ${binary.replace(/^.*\/target\//, "target/")}` : "");
}
writeFileSync(resultPath, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `web app first load: ${result.web_app_first_load.gzip_bytes} bytes gzipped (${files.size} files)`,
);
