/**
 * @nxtp/sdk: send, follow and recover nxtp crosschain transfers, and manage router liquidity, on viem.
 *
 * Make a client with {@link createNxtpClient}, then call actions with it first (`getQuote(client, ...)`,
 * `xcall(client, ...)`): each is its own export, so an app bundles only what it imports. Every write action
 * `foo` has a `prepareFoo` returning the unsigned transactions instead, for apps with their own wallet stack.
 * Every refusal is an {@link NxtpError} subclass, raised before anything is sent.
 */

export { checkAddress, ZERO_ADDRESS } from "./address.js";
export { type AssetInfo, getAllowance, getApprovedAsset, getAsset, getTokenBalance } from "./asset.js";
export {
  createNxtpClient,
  type DomainSettings,
  type KnownAsset,
  type Manifest,
  type NxtpClient,
  type NxtpClientConfig,
} from "./client.js";
export * from "./errors.js";
export { BPS, frontedAmount, routerDebits, shareNeeded } from "./fees.js";
export { connextAbi, erc20Abi } from "./generated/abis.js";
export {
  getIndexedTransfer,
  getIndexedTransfers,
  type IndexedProcessFailure,
  type IndexedRootStep,
  type IndexedStep,
  type IndexedTransfer,
  type IndexedTransferFilter,
  type IndexedTransferPage,
  type IndexedTransferSummary,
} from "./indexer.js";
export {
  addRouterLiquidity,
  getRouterBalance,
  type LiquidityResult,
  type PreparedLiquidity,
  prepareAddRouterLiquidity,
  prepareRemoveRouterLiquidity,
  removeRouterLiquidity,
} from "./liquidity.js";
export { branchRoot, encodeMessage, type Message, merkleRoot, messageLeaf, TREE_DEPTH } from "./message.js";
export {
  getQuote,
  getRoute,
  getRouterCoverage,
  type Quote,
  type Route,
  type RouterCoverage,
} from "./quote.js";
export {
  bumpTransfer,
  forceReceiveLocal,
  forceUpdateSlippage,
  prepareBumpTransfer,
  prepareForceReceiveLocal,
  prepareForceUpdateSlippage,
  type TransferRef,
} from "./recovery.js";
export { type AuctionState, type AuctionView, getAuction, getRelayerFeeQuote } from "./sequencer.js";
export * from "./signing.js";
export {
  findTransfer,
  getTransfer,
  getTransfers,
  type SentTransfer,
  type TransferProgress,
  type TransferReport,
  waitForTransfer,
} from "./status.js";
export { getTransferTimeline, type TransferStep, type TransferTimeline } from "./timeline.js";
export {
  computeAssetKey,
  computeTransferId,
  encodeTransferInfo,
  encodeTransferMessageBody,
} from "./transfer.js";
export {
  type Domain,
  isFinalStage,
  type SentTransaction,
  STAGES,
  type Stage,
  type StageTarget,
  stageOf,
  stageReaches,
  type TransferInfo,
  type UnsignedTransaction,
} from "./types.js";
export { formatAmount, parseAmount } from "./units.js";
export {
  DEFAULT_SLIPPAGE_BPS,
  type PreparedXcall,
  prepareXcall,
  type XcallParams,
  type XcallProgress,
  type XcallResult,
  xcall,
} from "./xcall.js";
