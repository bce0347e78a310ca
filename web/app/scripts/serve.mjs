// Serves the built app (dist/) with a config.json for a deployment, and forwards /indexer/* and /sequencer/* to
// the indexer's and the sequencer's APIs (so the page reads them from its own origin, whatever CORS they send).
// For trying the app on a devnet before the indexer serves it itself, and for the end-to-end tests:
//
//   node scripts/serve.mjs --manifest ../../run/devnet/manifest.json --indexer http://127.0.0.1:8090 [--port 5180]

import { readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const DIST = resolve(fileURLToPath(new URL("../dist", import.meta.url)));
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

async function forward(request, response, target) {
  try {
    const upstream = await fetch(target, { method: request.method, signal: AbortSignal.timeout(15_000) });
    const body = Buffer.from(await upstream.arrayBuffer());
    response.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type") ?? "text/plain",
    });
    response.end(body);
  } catch (error) {
    response.writeHead(502, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: "unavailable", message: `upstream unreachable: ${error.message}` }));
  }
}

/**
 * Starts the server on `port` (0: a free one) for the deployment of `manifestPath`, its indexer at `indexerUrl`;
 * resolves to its URL and a `close`.
 */
export async function serve({ manifestPath, indexerUrl, port = 0, host = "127.0.0.1" }) {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  const sequencerUrl = manifest.services?.sequencer_url;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://app");
    if (url.pathname.startsWith("/indexer/")) {
      return void forward(
        request,
        response,
        `${indexerUrl.replace(/\/+$/, "")}${url.pathname.slice(8)}${url.search}`,
      );
    }
    if (url.pathname.startsWith("/sequencer/") && sequencerUrl) {
      return void forward(
        request,
        response,
        `${sequencerUrl.replace(/\/+$/, "")}${url.pathname.slice(10)}${url.search}`,
      );
    }
    if (url.pathname === "/config.json") {
      const origin = `http://${request.headers.host}`;
      const config = {
        manifest,
        indexerUrl: `${origin}/indexer`,
        sequencerUrl: sequencerUrl ? `${origin}/sequencer` : undefined,
      };
      response.writeHead(200, { "content-type": TYPES[".json"], "cache-control": "no-store" });
      return void response.end(JSON.stringify(config));
    }
    const path = normalize(
      join(DIST, url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname)),
    );
    if (!path.startsWith(DIST) || !statSync(path, { throwIfNoEntry: false })?.isFile()) {
      response.writeHead(404, { "content-type": "text/plain" });
      return void response.end("not found");
    }
    const body = readFileSync(path);
    const gzip = /\bgzip\b/.test(request.headers["accept-encoding"] ?? "");
    response.writeHead(200, {
      "content-type": TYPES[extname(path)] ?? "application/octet-stream",
      ...(gzip ? { "content-encoding": "gzip" } : {}),
    });
    response.end(gzip ? gzipSync(body) : body);
  });
  await new Promise((ready) => server.listen(port, host, ready));
  const address = server.address();
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise((done) => server.close(done)),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const index = process.argv.indexOf(`--${name}`);
    return index > 0 ? process.argv[index + 1] : undefined;
  };
  const manifestPath = arg("manifest");
  const indexerUrl = arg("indexer");
  if (!manifestPath || !indexerUrl) {
    console.error(
      "usage: node scripts/serve.mjs --manifest <manifest.json> --indexer <status API URL> [--port N]",
    );
    process.exit(2);
  }
  const { url } = await serve({ manifestPath, indexerUrl, port: Number(arg("port") ?? 5180) });
  console.log(`nxtp web app on ${url} (explorer ${url}/#/, bridge ${url}/#/bridge)`);
}
