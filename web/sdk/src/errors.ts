/**
 * Everything the SDK refuses or fails at: one class per reason, each with a one-line message a person can act
 * on and the facts as fields. Refusals are raised before anything is sent, so they leave the chain (and the
 * account's nonce) untouched. Catch them by class (`err instanceof InsufficientAllowanceError`) or by `code`.
 */

import type { Address, Hex } from "viem";
import type { Domain, Stage } from "./types.js";
import { formatAmount } from "./units.js";

/** The base of every error the SDK throws. `code` names the class in a stable, serializable way. */
export abstract class NxtpError extends Error {
  /** A stable identifier of the reason, e.g. `"InsufficientAllowance"`. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A domain the client is not configured for (or that has no liquidity layer). */
export class UnknownDomainError extends NxtpError {
  readonly code = "UnknownDomain";
  constructor(
    readonly domain: Domain,
    readonly known: readonly Domain[],
  ) {
    super(`unknown domain ${domain} (known: ${known.length > 0 ? known.join(", ") : "none"})`);
  }
}

/** Origin and destination are the same domain. */
export class SameDomainError extends NxtpError {
  readonly code = "SameDomain";
  constructor(readonly domain: Domain) {
    super(`origin and destination are both domain ${domain}`);
  }
}

/** Text that is not an address, or mixed case failing its EIP-55 checksum (most likely a typo). */
export class InvalidAddressError extends NxtpError {
  readonly code = "InvalidAddress";
  constructor(
    /** What the address was for (`to`, `delegate`, `asset`, ...). */
    readonly field: string,
    /** The text as given (shortened when long). */
    readonly input: string,
    /** `malformed`: not 0x and 40 hex digits; `checksum`: mixed case that fails EIP-55. */
    readonly reason: "malformed" | "checksum",
    /** The checksummed spelling of the same 20 bytes, for a checksum failure. */
    readonly expected?: Address,
  ) {
    super(
      reason === "malformed"
        ? `${field}: \`${input}\` is not an address (expected 0x followed by 40 hex digits)`
        : `${field}: \`${input}\` fails its EIP-55 checksum (a typo?): the checksummed form of these digits is \`${expected}\`; write the address checksummed or all in lower case`,
    );
  }
}

/** A symbol the domain's configured assets do not know. */
export class UnknownAssetError extends NxtpError {
  readonly code = "UnknownAsset";
  constructor(
    readonly domain: Domain,
    readonly symbol: string,
    readonly known: readonly string[],
  ) {
    super(
      `unknown asset ${symbol} on domain ${domain} (known: ${known.length > 0 ? known.join(", ") : "none"})`,
    );
  }
}

/** The token is not registered with the domain's Connext. */
export class AssetNotRegisteredError extends NxtpError {
  readonly code = "AssetNotRegistered";
  constructor(
    readonly domain: Domain,
    readonly asset: Address,
  ) {
    super(`asset ${asset} is not registered on domain ${domain}`);
  }
}

/** The token is registered but governance stopped new transfers and liquidity in it. */
export class AssetNotApprovedError extends NxtpError {
  readonly code = "AssetNotApproved";
  constructor(
    readonly domain: Domain,
    readonly asset: Address,
  ) {
    super(`asset ${asset} is registered on domain ${domain} but not approved for new transfers or liquidity`);
  }
}

/** The destination has no local asset for the transfer's canonical asset: it could never be delivered. */
export class AssetNotOnDestinationError extends NxtpError {
  readonly code = "AssetNotOnDestination";
  constructor(
    readonly destination: Domain,
    readonly canonicalDomain: Domain,
    readonly canonicalId: Hex,
  ) {
    super(
      `domain ${destination} has no asset registered for canonical asset ${canonicalId} of domain ${canonicalDomain}`,
    );
  }
}

/** The origin's Connext has no remote Connext for the destination. */
export class DestinationNotEnrolledError extends NxtpError {
  readonly code = "DestinationNotEnrolled";
  constructor(
    readonly origin: Domain,
    readonly destination: Domain,
  ) {
    super(`domain ${destination} is not enrolled as a destination on domain ${origin}`);
  }
}

/** The recipient is the zero address. */
export class ZeroRecipientError extends NxtpError {
  readonly code = "ZeroRecipient";
  constructor() {
    super("the recipient may not be the zero address");
  }
}

/** A zero (or negative) amount where one is needed. */
export class ZeroAmountError extends NxtpError {
  readonly code = "ZeroAmount";
  constructor() {
    super("the amount must be more than zero");
  }
}

/** An explicit relayer fee of zero, not allowed by the request: nobody is paid to deliver the transfer. */
export class ZeroRelayerFeeError extends NxtpError {
  readonly code = "ZeroRelayerFee";
  constructor() {
    super(
      "a relayer fee of 0 wei pays nobody to deliver the transfer: the sequencer auctions it only once its quote is paid and slow-path executors skip it; pay a fee (or the quote), or allow a zero fee explicitly",
    );
  }
}

/** An explicit relayer fee below the sequencer's quote: the transfer would wait for a `bumpTransfer`. */
export class RelayerFeeBelowQuoteError extends NxtpError {
  readonly code = "RelayerFeeBelowQuote";
  constructor(
    readonly fee: bigint,
    readonly quote: bigint,
  ) {
    super(
      `a relayer fee of ${fee} wei is below the sequencer's quote of ${quote} wei: the transfer would not be auctioned until a bumpTransfer pays the difference; pay the quote, or allow a fee below it explicitly`,
    );
  }
}

/** Slippage outside 0..10000 basis points. */
export class InvalidSlippageError extends NxtpError {
  readonly code = "InvalidSlippage";
  constructor(readonly slippageBps: number) {
    super(`slippage ${slippageBps} bps is not a whole number from 0 to 10000 (100%)`);
  }
}

/** Slippage below the destination's liquidity fee: the fast path could never deliver. */
export class SlippageBelowFeeError extends NxtpError {
  readonly code = "SlippageBelowFee";
  constructor(
    readonly slippageBps: number,
    readonly feeBps: number,
    readonly destination: Domain,
  ) {
    super(
      `slippage ${slippageBps} bps is below domain ${destination}'s liquidity fee of ${feeBps} bps, so routers could never deliver it; allow at least ${feeBps} bps`,
    );
  }
}

/** The sender holds too little of the token. */
export class InsufficientBalanceError extends NxtpError {
  readonly code = "InsufficientBalance";
  constructor(
    readonly asset: Address,
    readonly holder: Address,
    readonly balance: bigint,
    readonly needed: bigint,
    readonly decimals: number,
  ) {
    super(
      `insufficient balance: ${holder} holds ${formatAmount(balance, decimals)} of ${asset}, needs ${formatAmount(needed, decimals)}`,
    );
  }
}

/** Connext may pull too little of the sender's token (and automatic approval was not asked for). */
export class InsufficientAllowanceError extends NxtpError {
  readonly code = "InsufficientAllowance";
  constructor(
    readonly asset: Address,
    readonly owner: Address,
    readonly spender: Address,
    readonly allowance: bigint,
    readonly needed: bigint,
    readonly decimals: number,
  ) {
    super(
      `insufficient allowance: ${owner} allows Connext ${spender} to pull ${formatAmount(allowance, decimals)} of ${asset}, needs ${formatAmount(needed, decimals)}; approve it first (or pass approve: true)`,
    );
  }
}

/** The sender cannot pay the native relayer fee. */
export class InsufficientNativeBalanceError extends NxtpError {
  readonly code = "InsufficientNativeBalance";
  constructor(
    readonly holder: Address,
    readonly balance: bigint,
    readonly needed: bigint,
  ) {
    super(
      `insufficient native balance: ${holder} holds ${balance} wei, the relayer fee alone is ${needed} wei`,
    );
  }
}

/** A relayer fee quote was needed without a sequencer configured. */
export class NoSequencerError extends NxtpError {
  readonly code = "NoSequencer";
  constructor() {
    super(
      "no sequencer is configured to quote the relayer fee; give a sequencerUrl or an explicit relayerFee",
    );
  }
}

/** The sequencer failed or refused. */
export class SequencerError extends NxtpError {
  readonly code = "Sequencer";
  constructor(
    message: string,
    /** The HTTP status, when it answered. */
    readonly status?: number,
    /** The sequencer's error code (`unknown_domain`, `unavailable`, ...), when it gave one. */
    readonly apiCode?: string,
    options?: { cause?: unknown },
  ) {
    super(`the sequencer request failed: ${message}`, options);
  }
}

/** The indexer's status API failed, is not configured, or answered with something else than its API. */
export class IndexerError extends NxtpError {
  readonly code = "Indexer";
  /** The HTTP status, when it answered. */
  readonly status: number | undefined;
  /** The API's error code (`invalid_filter`, `invalid_cursor`, `unavailable`, ...), when it gave one. */
  readonly apiCode: string | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number; code?: string | undefined }) {
    super(`the indexer request failed: ${message}`, options);
    this.status = options?.status;
    this.apiCode = options?.code;
  }
}

/** The account is not the transfer's delegate. */
export class NotDelegateError extends NxtpError {
  readonly code = "NotDelegate";
  constructor(
    readonly transferId: Hex,
    readonly account: Address,
    readonly delegate: Address,
  ) {
    super(`${account} is not the delegate of transfer ${transferId} (its delegate is ${delegate})`);
  }
}

/** The router is not approved on the domain (or was never set up). */
export class RouterNotApprovedError extends NxtpError {
  readonly code = "RouterNotApproved";
  constructor(
    readonly domain: Domain,
    readonly router: Address,
  ) {
    super(`router ${router} is not approved on domain ${domain}`);
  }
}

/** Only the router's owner may do this. */
export class NotRouterOwnerError extends NxtpError {
  readonly code = "NotRouterOwner";
  constructor(
    readonly domain: Domain,
    readonly router: Address,
    readonly owner: Address,
    readonly account: Address,
  ) {
    super(`${account} is not the owner of router ${router} on domain ${domain} (its owner is ${owner})`);
  }
}

/** The router holds too little of the asset on the domain. */
export class InsufficientLiquidityError extends NxtpError {
  readonly code = "InsufficientLiquidity";
  constructor(
    readonly domain: Domain,
    readonly router: Address,
    readonly asset: Address,
    readonly available: bigint,
    readonly needed: bigint,
    readonly decimals: number,
  ) {
    super(
      `router ${router} holds ${formatAmount(available, decimals)} of ${asset} on domain ${domain}, less than ${formatAmount(needed, decimals)}`,
    );
  }
}

/** No configured domain has an `XCalled` for the id. */
export class TransferNotFoundError extends NxtpError {
  readonly code = "TransferNotFound";
  constructor(readonly transferId: Hex) {
    super(`transfer ${transferId} was not found on any configured domain`);
  }
}

/** `waitForTransfer` ran out of time. */
export class WaitTimeoutError extends NxtpError {
  readonly code = "WaitTimeout";
  constructor(
    readonly transferId: Hex,
    readonly target: Stage | "Completed",
    readonly last: Stage | undefined,
    readonly waitedMs: number,
  ) {
    super(
      `transfer ${transferId} is still ${last ?? "not found"} after ${Math.round(waitedMs / 1000)} s, short of ${target}`,
    );
  }
}

/** The wallet's chain or account cannot send this transaction. */
export class WalletMismatchError extends NxtpError {
  readonly code = "WalletMismatch";
  constructor(message: string) {
    super(message);
  }
}

/** The contract refused the call (found in simulation, before sending): its custom error, decoded. */
export class ContractRevertError extends NxtpError {
  readonly code = "ContractRevert";
  constructor(
    readonly domain: Domain,
    readonly action: string,
    /** The contract's custom error name (`SlippageNotRaised`), or `undefined` when the revert had no data. */
    readonly errorName: string | undefined,
    readonly args: readonly unknown[],
    options?: { cause?: unknown },
  ) {
    super(`${action} on domain ${domain} would revert: ${errorName ?? "without a reason"}`, options);
  }
}

/** The transaction was mined but reverted. */
export class TransactionFailedError extends NxtpError {
  readonly code = "TransactionFailed";
  constructor(
    readonly domain: Domain,
    readonly action: string,
    readonly txHash: Hex,
  ) {
    super(`${action} on domain ${domain}: transaction ${txHash} was mined but reverted`);
  }
}

/** A mined transaction lacks the event it must emit, or its `XCalled` does not check out. */
export class UnexpectedReceiptError extends NxtpError {
  readonly code = "UnexpectedReceipt";
  constructor(
    readonly domain: Domain,
    readonly action: string,
    readonly txHash: Hex,
    readonly problem: string,
  ) {
    super(`${action} on domain ${domain}: transaction ${txHash}: ${problem}`);
  }
}

/** No router can front the amount: Connext's checked fee arithmetic would overflow. */
export class NotFrontableError extends NxtpError {
  readonly code = "NotFrontable";
  constructor(
    readonly amount: bigint,
    readonly feeBps: number,
  ) {
    super(`${amount} is too large to front at a liquidity fee of ${feeBps} bps`);
  }
}

/** The configuration (manifest or chains) is unusable. */
export class ConfigError extends NxtpError {
  readonly code = "Config";
}

/** A chain could not be read, or serves another chain id than configured. */
export class ChainError extends NxtpError {
  readonly code = "Chain";
  constructor(
    readonly domain: Domain,
    readonly action: string,
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message.split("\n")[0]}` : "";
    super(`${action} on domain ${domain} failed${why}`, options);
  }
}
