/**
 * The client: which domains exist, where their chains and Connexts are, and the optional sequencer and indexer.
 * Actions are plain functions taking it first (`getQuote(client, ...)`), so an app bundles only the actions it
 * imports.
 */

import {
  type Address,
  type Chain,
  createPublicClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
} from "viem";
import { checkAddress } from "./address.js";
import { ChainError, ConfigError, UnknownDomainError } from "./errors.js";
import type { Domain } from "./types.js";

/** An asset a domain knows by symbol, so people can name it (`DEMO`) instead of by address. */
export interface KnownAsset {
  /** The token Connext takes and holds on this domain (canonical token or representation). */
  readonly local: Address;
  /** The asset's home domain. */
  readonly canonicalDomain: Domain;
  /** The asset's id on its home domain. */
  readonly canonicalId: Hex;
  /** The token's decimals. */
  readonly decimals: number;
}

/** One domain as the SDK uses it. */
export interface DomainSettings {
  readonly domain: Domain;
  /** The EIP-155 chain id its RPC endpoint must serve (checked before first use). */
  readonly chainId: number;
  /** JSON-RPC endpoint. */
  readonly rpcUrl: string;
  /** The domain's Connext. */
  readonly connext: Address;
  /** The first block that can hold this Connext's events: where transfer searches start. */
  readonly fromBlock: bigint;
  /** Known assets by symbol. */
  readonly assets: Readonly<Record<string, KnownAsset>>;
}

/** A deployment manifest as `nxtp deploy` and `nxtp devnet` write it (`manifest.json`), parsed. */
export interface Manifest {
  readonly optimistic_seconds?: number;
  readonly domains: Readonly<
    Record<
      string,
      {
        readonly chain_id: number;
        readonly rpc_url: string;
        readonly deploy_block: number;
        readonly liquidity?: {
          readonly connext: string;
          readonly assets: Readonly<
            Record<
              string,
              {
                readonly local: string;
                readonly canonical_domain: number;
                readonly canonical_id: string;
                readonly decimals: number;
              }
            >
          >;
        };
      }
    >
  >;
  readonly services?: {
    readonly sequencer_url?: string;
    readonly relayer_url?: string;
    /** The indexer's status API, when the deployment runs one. */
    readonly indexer_url?: string;
  };
}

/** How a client is made: from a manifest, or from explicit domain settings. */
export type NxtpClientConfig = (
  | { readonly manifest: Manifest; readonly chains?: undefined }
  | { readonly chains: readonly DomainSettings[]; readonly manifest?: undefined }
) & {
  /** The sequencer's HTTP API, for relayer fee quotes and why a transfer waits (a manifest's own by default). */
  readonly sequencerUrl?: string;
  /**
   * The indexer's status API (`nxtp indexer`; a manifest's own by default): transfers' stages are read there
   * first, and from the chains when it fails or does not know a transfer yet.
   */
  readonly indexerUrl?: string;
  /** Public clients to read through, by domain (for apps that have their own); others are made from `rpcUrl`. */
  readonly publicClients?: Readonly<Record<Domain, PublicClient>>;
  /** The pause between two reads when following a transfer, ms (default 1000). */
  readonly pollingIntervalMs?: number;
  /** How long to wait for a sent transaction's receipt, ms (default 120000). */
  readonly receiptTimeoutMs?: number;
  /** Seconds a signed root waits before Replicas accept it (the manifest's), for time estimates. */
  readonly optimisticSeconds?: number;
};

/** A configured client. Make one with {@link createNxtpClient}. */
export interface NxtpClient {
  /** The configured domains, ascending. */
  readonly domains: readonly Domain[];
  readonly sequencerUrl: string | undefined;
  readonly indexerUrl: string | undefined;
  readonly pollingIntervalMs: number;
  readonly receiptTimeoutMs: number;
  readonly optimisticSeconds: number | undefined;
  /** A domain's settings; throws {@link UnknownDomainError} for a domain not configured. */
  settings(domain: Domain): DomainSettings;
  /** A viem chain for the domain (its id and RPC URL), as wallet clients need. */
  chain(domain: Domain): Chain;
  /** The domain's public client, its chain id checked once against the settings. */
  publicClient(domain: Domain): Promise<PublicClient>;
}

/**
 * A client over every domain of `manifest` that has a liquidity layer, or over explicit `chains`.
 *
 * ```ts
 * const client = createNxtpClient({ manifest, sequencerUrl: "http://127.0.0.1:8090" });
 * ```
 */
export function createNxtpClient(config: NxtpClientConfig): NxtpClient {
  const list = config.manifest ? settingsFromManifest(config.manifest) : config.chains.map(checkSettings);
  if (list.length === 0) throw new ConfigError("no domain with a liquidity layer is configured");
  const byDomain = new Map<Domain, DomainSettings>();
  for (const settings of list) {
    if (byDomain.has(settings.domain)) throw new ConfigError(`domain ${settings.domain} is configured twice`);
    byDomain.set(settings.domain, settings);
  }
  const domains = [...byDomain.keys()].sort((a, b) => a - b);
  const chains = new Map<Domain, Chain>();
  const readers = new Map<Domain, Promise<PublicClient>>();

  const settings = (domain: Domain): DomainSettings => {
    const found = byDomain.get(domain);
    if (!found) throw new UnknownDomainError(domain, domains);
    return found;
  };
  const chain = (domain: Domain): Chain => {
    const { chainId, rpcUrl } = settings(domain);
    let made = chains.get(domain);
    if (!made) {
      made = defineChain({
        id: chainId,
        name: `nxtp domain ${domain}`,
        nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
        rpcUrls: { default: { http: [rpcUrl] } },
      });
      chains.set(domain, made);
    }
    return made;
  };
  const publicClient = (domain: Domain): Promise<PublicClient> => {
    const { chainId, rpcUrl } = settings(domain);
    let reader = readers.get(domain);
    if (!reader) {
      const client =
        config.publicClients?.[domain] ??
        (createPublicClient({
          chain: chain(domain),
          transport: http(rpcUrl, { batch: true }),
        }) as PublicClient);
      reader = client.getChainId().then(
        (served) => {
          if (served !== chainId) {
            throw new ChainError(domain, "connect", {
              cause: new Error(`the endpoint serves chain id ${served}, not ${chainId}`),
            });
          }
          return client;
        },
        (cause: unknown) => {
          throw new ChainError(domain, "connect", { cause });
        },
      );
      // A failed connection is retried on the next use rather than remembered.
      reader.catch(() => readers.delete(domain));
      readers.set(domain, reader);
    }
    return reader;
  };

  return {
    domains,
    sequencerUrl: config.sequencerUrl ?? config.manifest?.services?.sequencer_url,
    indexerUrl: config.indexerUrl ?? config.manifest?.services?.indexer_url,
    pollingIntervalMs: config.pollingIntervalMs ?? 1000,
    receiptTimeoutMs: config.receiptTimeoutMs ?? 120_000,
    optimisticSeconds: config.optimisticSeconds ?? config.manifest?.optimistic_seconds,
    settings,
    chain,
    publicClient,
  };
}

function settingsFromManifest(manifest: Manifest): DomainSettings[] {
  if (typeof manifest !== "object" || manifest === null || typeof manifest.domains !== "object") {
    throw new ConfigError("the manifest has no `domains`");
  }
  const list: DomainSettings[] = [];
  for (const [key, deployment] of Object.entries(manifest.domains)) {
    const liquidity = deployment.liquidity;
    if (!liquidity) continue;
    const domain = Number(key);
    const assets: Record<string, KnownAsset> = {};
    for (const [symbol, asset] of Object.entries(liquidity.assets ?? {})) {
      assets[symbol] = {
        local: checkAddress(`domains.${key}.liquidity.assets.${symbol}.local`, asset.local),
        canonicalDomain: asset.canonical_domain,
        canonicalId: asset.canonical_id as Hex,
        decimals: asset.decimals,
      };
    }
    list.push(
      checkSettings({
        domain,
        chainId: deployment.chain_id,
        rpcUrl: deployment.rpc_url,
        connext: liquidity.connext as Address,
        fromBlock: BigInt(deployment.deploy_block ?? 0),
        assets,
      }),
    );
  }
  if (list.length === 0)
    throw new ConfigError("the manifest has no domain with a liquidity layer (no `liquidity` section)");
  return list;
}

function checkSettings(settings: DomainSettings): DomainSettings {
  const where = `domain ${settings.domain}`;
  if (!Number.isInteger(settings.domain) || settings.domain <= 0 || settings.domain >= 2 ** 32) {
    throw new ConfigError(`${where}: a domain id is a positive 32-bit integer`);
  }
  if (!Number.isSafeInteger(settings.chainId) || settings.chainId <= 0) {
    throw new ConfigError(`${where}: chainId must be a positive integer`);
  }
  try {
    new URL(settings.rpcUrl);
  } catch {
    throw new ConfigError(`${where}: rpcUrl is not a valid URL`);
  }
  return {
    ...settings,
    connext: checkAddress(`${where} connext`, settings.connext),
    fromBlock: BigInt(settings.fromBlock),
  };
}
