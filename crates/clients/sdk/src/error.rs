//! Everything the SDK refuses or fails at, each with a one-line reason a person can act on.

use crate::{amount::format_units, config::ConfigError, revert::Revert, status::Stage};
use alloy::primitives::{Address, B256, U256};
use nxtp_primitives::Domain;
use std::error::Error as StdError;

/// A boxed underlying error (RPC, HTTP).
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Why an SDK call failed. Checks run before anything is sent, so every refusal leaves the chain (and the
/// signer's nonce) untouched. Failures of the chain or the sequencer say what failed; their
/// [`source`](std::error::Error::source) says why.
#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    /// The settings could not be built.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The domain is not configured (or has no liquidity layer).
    #[error("unknown domain {domain} (known: {})", list(known))]
    UnknownDomain {
        /// The domain asked for.
        domain: Domain,
        /// The configured domains.
        known: Vec<Domain>,
    },
    /// Origin and destination are the same domain.
    #[error("origin and destination are both domain {0}")]
    SameDomain(Domain),
    /// A symbol not known on the domain.
    #[error("unknown asset {symbol} on domain {domain} (known: {})", list(known))]
    UnknownAsset {
        /// The domain.
        domain: Domain,
        /// The symbol asked for.
        symbol: String,
        /// The symbols the domain knows.
        known: Vec<String>,
    },
    /// The token is not registered with the domain's `Connext`.
    #[error("asset {asset} is not registered on domain {domain}")]
    AssetNotRegistered {
        /// The domain.
        domain: Domain,
        /// The token.
        asset: Address,
    },
    /// The token is registered but governance stopped new transfers and liquidity in it.
    #[error("asset {asset} is registered on domain {domain} but not approved for new transfers or liquidity")]
    AssetNotApproved {
        /// The domain.
        domain: Domain,
        /// The token.
        asset: Address,
    },
    /// The destination has no local asset for the transfer's canonical asset: it could never be delivered.
    #[error("domain {destination} has no asset registered for canonical asset {canonical_id} of domain {canonical_domain}")]
    AssetNotOnDestination {
        /// The destination.
        destination: Domain,
        /// The asset's home domain.
        canonical_domain: u32,
        /// The asset's canonical id.
        canonical_id: B256,
    },
    /// The origin's `Connext` has no remote `Connext` for the destination.
    #[error("domain {destination} is not enrolled as a destination on domain {origin}")]
    DestinationNotEnrolled {
        /// The origin.
        origin: Domain,
        /// The destination.
        destination: Domain,
    },
    /// The recipient is the zero address.
    #[error("the recipient may not be the zero address")]
    ZeroRecipient,
    /// A zero amount where one is needed.
    #[error("the amount must be more than zero")]
    ZeroAmount,
    /// An explicit relayer fee of zero, not allowed by the request: nobody is paid to deliver
    /// the transfer (the sequencer waits for its quote, executors skip it).
    #[error("a relayer fee of 0 wei pays nobody to deliver the transfer: the sequencer auctions it only once its quote is paid and slow-path executors skip it; pay a fee (or the quote), or allow a zero fee explicitly")]
    ZeroRelayerFee,
    /// Slippage above 100%.
    #[error("slippage {0} bps is above 10000 (100%)")]
    InvalidSlippage(u32),
    /// Slippage below the destination's liquidity fee: the fast path could never deliver.
    #[error("slippage {slippage} bps is below domain {destination}'s liquidity fee of {fee_bps} bps, so routers could never deliver it; allow at least {fee_bps} bps")]
    SlippageBelowFee {
        /// The requested tolerance.
        slippage: u32,
        /// The destination's fee.
        fee_bps: u16,
        /// The destination.
        destination: Domain,
    },
    /// The sender holds too little of the token.
    #[error("insufficient balance: {holder} holds {} of {asset}, needs {}", format_units(*balance, *decimals), format_units(*needed, *decimals))]
    InsufficientBalance {
        /// The token.
        asset: Address,
        /// Whose balance.
        holder: Address,
        /// What it holds.
        balance: U256,
        /// What is needed.
        needed: U256,
        /// The token's decimals, to show amounts.
        decimals: u8,
    },
    /// `Connext` may pull too little of the sender's token.
    #[error("insufficient allowance: {owner} allows Connext {spender} to pull {} of {asset}, needs {}; approve it first (or ask for automatic approval)", format_units(*allowance, *decimals), format_units(*needed, *decimals))]
    InsufficientAllowance {
        /// The token.
        asset: Address,
        /// The token holder.
        owner: Address,
        /// The `Connext` that pulls.
        spender: Address,
        /// The current allowance.
        allowance: U256,
        /// What is needed.
        needed: U256,
        /// The token's decimals, to show amounts.
        decimals: u8,
    },
    /// The sender cannot pay the native relayer fee.
    #[error("insufficient native balance: {holder} holds {balance} wei, the relayer fee alone is {needed} wei")]
    InsufficientNativeBalance {
        /// Whose balance.
        holder: Address,
        /// What it holds.
        balance: U256,
        /// What the fee needs.
        needed: U256,
    },
    /// A quote was asked for without a sequencer.
    #[error("no sequencer is configured to quote the relayer fee; give a sequencer URL or an explicit fee")]
    NoSequencer,
    /// The sequencer failed or refused.
    #[error("the sequencer request failed")]
    Sequencer(#[source] BoxError),
    /// The signer is not the transfer's delegate.
    #[error("{signer} is not the delegate of transfer {transfer_id} (its delegate is {delegate})")]
    NotDelegate {
        /// The transfer.
        transfer_id: B256,
        /// The signer.
        signer: Address,
        /// The delegate.
        delegate: Address,
    },
    /// The router is not approved on the domain (or was never set up).
    #[error("router {router} is not approved on domain {domain}")]
    RouterNotApproved {
        /// The domain.
        domain: Domain,
        /// The router.
        router: Address,
    },
    /// Only the router's owner removes its liquidity.
    #[error(
        "{signer} is not the owner of router {router} on domain {domain} (its owner is {owner})"
    )]
    NotRouterOwner {
        /// The domain.
        domain: Domain,
        /// The router.
        router: Address,
        /// Its owner.
        owner: Address,
        /// The signer.
        signer: Address,
    },
    /// The router holds too little of the asset on the domain.
    #[error("router {router} holds {} of {asset} on domain {domain}, less than {}", format_units(*available, *decimals), format_units(*needed, *decimals))]
    InsufficientLiquidity {
        /// The domain.
        domain: Domain,
        /// The router.
        router: Address,
        /// The asset.
        asset: Address,
        /// What it holds.
        available: U256,
        /// What was asked.
        needed: U256,
        /// The asset's decimals, to show amounts.
        decimals: u8,
    },
    /// The transfer was delivered already: a bump or an override would change nothing.
    #[error("transfer {transfer_id} is {stage}: already delivered, so there is nothing left to pay for or change")]
    AlreadyDelivered {
        /// The transfer.
        transfer_id: B256,
        /// Its stage.
        stage: Stage,
    },
    /// The relayer fee paid already covers the sequencer's quote.
    #[error("transfer {transfer_id} has paid {paid} wei of relayer fee, which covers the sequencer's quote of {quote} wei; give an amount to add more")]
    FeeCovered {
        /// The transfer.
        transfer_id: B256,
        /// Wei paid.
        paid: U256,
        /// The quote.
        quote: U256,
    },
    /// No domain has an `XCalled` for the id.
    #[error("transfer {0} was not found on any configured domain")]
    TransferNotFound(B256),
    /// `wait_for` ran out of time.
    #[error("transfer {transfer_id} is still {last} after {waited_secs} s, short of {target}")]
    WaitTimeout {
        /// The transfer.
        transfer_id: B256,
        /// What was waited for.
        target: Stage,
        /// Where it stood last.
        last: Stage,
        /// How long was waited.
        waited_secs: u64,
    },
    /// The contract refused the call (found in simulation, before sending).
    #[error("{action} on domain {domain} would revert: {revert}")]
    Reverted {
        /// The domain.
        domain: Domain,
        /// What was attempted.
        action: &'static str,
        /// The decoded reason.
        revert: Revert,
    },
    /// The receiver's `xReceive` reverted when simulated as the destination's `Connext` calls it.
    #[error("receiver {receiver} on domain {domain} reverts in xReceive: {revert}")]
    ReceiverReverted {
        /// The destination.
        domain: Domain,
        /// The receiver.
        receiver: Address,
        /// The decoded reason.
        revert: Revert,
    },
    /// The receiver has no code, so it has no `xReceive` to call (a fast-path `execute` to it reverts).
    #[error("receiver {receiver} on domain {domain} is not a contract")]
    ReceiverNotContract {
        /// The destination.
        domain: Domain,
        /// The receiver.
        receiver: Address,
    },
    /// The transaction was mined but reverted.
    #[error("{action} on domain {domain}: transaction {tx} was mined but reverted")]
    TxFailed {
        /// The domain.
        domain: Domain,
        /// What was attempted.
        action: &'static str,
        /// The transaction.
        tx: B256,
    },
    /// A mined transaction lacks the event it must emit.
    #[error("{action} on domain {domain}: transaction {tx} emitted no {event}")]
    MissingEvent {
        /// The domain.
        domain: Domain,
        /// What was attempted.
        action: &'static str,
        /// The transaction.
        tx: B256,
        /// The event expected.
        event: &'static str,
    },
    /// No router can front `amount`: `Connext.execute`'s checked fee arithmetic would overflow.
    #[error("{amount} is too large to front at a liquidity fee of {fee_bps} bps")]
    NotFrontable {
        /// The amount asked for, in base units.
        amount: U256,
        /// The destination's liquidity fee.
        fee_bps: u16,
    },
    /// A transfer's `XCalled` is inconsistent: its id does not hash its params, or it names another origin.
    #[error("transaction {tx} on domain {domain}: XCalled refused")]
    BadXCalled {
        /// The domain whose chain emitted the event.
        domain: Domain,
        /// The transaction that emitted it.
        tx: B256,
        /// What is wrong with it.
        source: nxtp_bindings::XCalledError,
    },
    /// The domain's chain could not be reached or serves another chain id.
    #[error("cannot use domain {domain}'s chain")]
    Connect {
        /// The domain.
        domain: Domain,
        /// Why.
        source: nxtp_provider::ConnectError,
    },
    /// A read or a send failed at the transport.
    #[error("{action} on domain {domain} failed")]
    Rpc {
        /// The domain.
        domain: Domain,
        /// What was attempted.
        action: &'static str,
        /// Why.
        source: BoxError,
    },
}

impl SdkError {
    /// A failed contract call or send: the decoded revert if there is one, else a transport failure.
    pub(crate) fn from_contract(
        domain: Domain,
        action: &'static str,
        error: alloy::contract::Error,
    ) -> Self {
        let revert = Revert::from_contract(&error);
        Self::reverted_or_rpc(domain, action, revert, Box::new(error))
    }

    /// A failed transport call (logs, balances, sends), decoded like a contract call.
    pub(crate) fn from_transport(
        domain: Domain,
        action: &'static str,
        error: alloy::transports::TransportError,
    ) -> Self {
        let revert = Revert::from_transport(&error);
        Self::reverted_or_rpc(domain, action, revert, Box::new(error))
    }

    /// The decoded revert if there is one, else the failure as it came.
    fn reverted_or_rpc(
        domain: Domain,
        action: &'static str,
        revert: Option<Revert>,
        source: BoxError,
    ) -> Self {
        match revert {
            Some(revert) => Self::Reverted {
                domain,
                action,
                revert,
            },
            None => Self::Rpc {
                domain,
                action,
                source,
            },
        }
    }
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".to_owned();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_one_line_with_amounts_in_tokens() {
        let err = SdkError::UnknownDomain {
            domain: Domain(3000),
            known: vec![Domain(1000), Domain(2000)],
        };
        assert_eq!(err.to_string(), "unknown domain 3000 (known: 1000, 2000)");

        let err = SdkError::UnknownAsset {
            domain: Domain(1000),
            symbol: "USDC".into(),
            known: vec![],
        };
        assert_eq!(
            err.to_string(),
            "unknown asset USDC on domain 1000 (known: none)"
        );

        let one = U256::from(10u64).pow(U256::from(18u64));
        let err = SdkError::InsufficientBalance {
            asset: Address::ZERO,
            holder: Address::ZERO,
            balance: one / U256::from(2u64),
            needed: one * U256::from(3u64),
            decimals: 18,
        };
        assert_eq!(
            err.to_string(),
            format!(
                "insufficient balance: {0} holds 0.5 of {0}, needs 3",
                Address::ZERO
            )
        );
        for err in [
            SdkError::SlippageBelowFee {
                slippage: 1,
                fee_bps: 5,
                destination: Domain(2000),
            },
            SdkError::InsufficientAllowance {
                asset: Address::ZERO,
                owner: Address::ZERO,
                spender: Address::ZERO,
                allowance: U256::ZERO,
                needed: one,
                decimals: 18,
            },
        ] {
            assert!(!err.to_string().contains('\n'), "{err}");
        }
    }

    #[test]
    fn contract_reverts_show_the_decoded_error() {
        let revert = Revert::decode(alloy::primitives::Bytes::from(
            alloy::sol_types::SolError::abi_encode(&nxtp_bindings::Connext::ZeroAmount {}),
        ));
        let err = SdkError::Reverted {
            domain: Domain(1000),
            action: "bumpTransfer",
            revert,
        };
        assert_eq!(
            err.to_string(),
            "bumpTransfer on domain 1000 would revert: ZeroAmount"
        );
    }
}
