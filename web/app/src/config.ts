/**
 * Where the deployment is: `config.json` beside index.html (written by the devnet or `npm run serve`, or by
 * hand) names the manifest (inline or by URL), the indexer's status API and, optionally, the sequencer's API.
 * Without a `config.json`, the app reads `manifest.json` beside it and takes the page's own origin as the
 * indexer (the indexer serving the app as its `web_root`).
 */

import { createNxtpClient, type Manifest, type NxtpClient } from "@nxtp/sdk";
import type { Hex } from "viem";

/** What `config.json` may hold. */
export interface AppConfig {
  /** The deployment's manifest, inline. */
  readonly manifest?: Manifest;
  /** Or where to fetch it, relative to the page. */
  readonly manifestUrl?: string;
  /** The indexer's status API (default: the manifest's `services.indexer_url`, else the page's origin). */
  readonly indexerUrl?: string;
  /** The sequencer's API (default: the manifest's). */
  readonly sequencerUrl?: string;
}

/** A manifest as the app reads it: the SDK's, plus the devnet's development keys when it has them. */
export type AppManifest = Manifest & {
  readonly dev_keys?: Readonly<Record<string, Hex>>;
  /** Set by deployments that say what they are; the devnet's manifest is recognised without it (see isDevnet). */
  readonly network?: string;
};

/** The loaded deployment. */
export interface Deployment {
  readonly manifest: AppManifest;
  readonly client: NxtpClient;
  readonly indexerUrl: string;
}

async function fetchJson(url: string): Promise<unknown | undefined> {
  const response = await fetch(url, { cache: "no-store" });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return response.json();
}

/** Loads `config.json` (or `manifest.json`) beside the page and makes the SDK client. */
export async function loadDeployment(base: string = document.baseURI): Promise<Deployment> {
  const config = ((await fetchJson(new URL("config.json", base).href)) ?? {}) as AppConfig;
  const manifestUrl = new URL(config.manifestUrl ?? "manifest.json", base).href;
  const manifest = (config.manifest ?? (await fetchJson(manifestUrl))) as AppManifest | undefined;
  if (!manifest) {
    throw new Error(
      "no deployment configured: serve a config.json (or manifest.json) beside the app (see web/app/README.md)",
    );
  }
  const indexerUrl = (
    config.indexerUrl ??
    manifest.services?.indexer_url ??
    new URL("/", location.href).href
  ).replace(/\/+$/, "");
  const client = createNxtpClient({
    manifest,
    indexerUrl,
    sequencerUrl: config.sequencerUrl,
    pollingIntervalMs: 500,
  });
  return { manifest, client, indexerUrl };
}

/**
 * Whether the manifest describes a local development network, whose well-known keys may be offered in the
 * page: it says so (`network: "devnet"`), or it is what `nxtp devnet` writes (development keys, every chain on
 * the loopback interface with one of anvil's chain ids).
 */
export function isDevnet(manifest: AppManifest): boolean {
  if (manifest.network !== undefined) return manifest.network === "devnet";
  if (!manifest.dev_keys || Object.keys(manifest.dev_keys).length === 0) return false;
  return Object.values(manifest.domains).every((domain) => {
    const host = new URL(domain.rpc_url).hostname;
    const loopback = host === "127.0.0.1" || host === "localhost" || host === "[::1]";
    return loopback && domain.chain_id >= 31337 && domain.chain_id < 31337 + 1000;
  });
}
