//! The nxtp SDK: send crosschain transfers, follow them, recover them, manage router liquidity.
//!
//! [`Sdk`] is built from a deployment manifest ([`Sdk::from_manifest`]) or from explicit per-domain
//! [`DomainSettings`] ([`Sdk::new`]), optionally with a sequencer (its URL, or any [`SequencerView`] through
//! [`Sdk::with_sequencer`]) for relayer fee quotes and for why a transfer waits. Then:
//!
//! - [`Sdk::quote`]: the relayer fee and what the recipient receives on the fast path;
//! - [`Sdk::estimate_xreceive_gas`]: the gas a transfer's receiver needs on the destination, and the `execute`
//!   gas it implies;
//! - [`Sdk::xcall`]: checks everything, then sends (approving first if asked); [`Sdk::approve`];
//! - [`Sdk::status`] and [`Sdk::wait_for`]: where a transfer stands, and following it to a [`Stage`];
//! - [`Sdk::bump`], [`Sdk::bump_to_quote`], [`Sdk::update_slippage`], [`Sdk::receive_local`] (by transfer id;
//!   [`Sdk::bump_fee`], [`Sdk::force_update_slippage`], [`Sdk::force_receive_local`] given its origin or params):
//!   recovery;
//! - [`Sdk::relayer_fee_quote`]: the sequencer's relayer fee, retried, or an estimate while it is down;
//! - [`Sdk::add_liquidity`], [`Sdk::remove_liquidity`], [`Sdk::router_balance`]: router liquidity;
//!   [`Sdk::propose_router_recipient`], [`Sdk::accept_router_recipient`], [`Sdk::cancel_router_recipient`],
//!   [`Sdk::pending_router_recipient`]: where it goes, changed only after a delay.
//!
//! Every refusal is a typed [`SdkError`] with a one-line reason, raised before anything is sent; a contract
//! revert is decoded into the contract's custom error ([`Revert`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use alloy::signers::local::PrivateKeySigner;
//! use nxtp_deployment::Manifest;
//! use nxtp_primitives::Domain;
//! use nxtp_sdk::{Amount, AssetRef, RelayerFee, Sdk, Stage, XcallRequest};
//! use std::time::Duration;
//!
//! let sdk = Sdk::from_manifest(&Manifest::load("run/manifest.json".as_ref())?, None)?;
//! let signer: PrivateKeySigner = std::env::var("USER_KEY")?.parse()?;
//! let demo: AssetRef = "DEMO".parse()?;
//! let decimals = sdk.asset(Domain(1000), &demo).await?.decimals;
//! let amount = "25".parse::<Amount>()?.to_positive_base_units(decimals)?;
//!
//! let mut request = XcallRequest::new(Domain(1000), Domain(2000), demo, amount, signer.address());
//! request.relayer_fee = RelayerFee::Wei(alloy::primitives::U256::from(10u64).pow(alloy::primitives::U256::from(15u64)));
//! request.auto_approve = true;
//! let sent = sdk.xcall(&signer, &request).await?;
//! let followed = sdk
//!     .wait_for(sent.transfer_id, Stage::CompletedFast, Duration::from_secs(300), |change| {
//!         println!("{:?} {}", change.elapsed, change.stage)
//!     })
//!     .await?;
//! println!("done: {}", followed.report.stage);
//! # Ok(()) }
//! ```

pub mod amount;
pub mod asset;
mod client;
pub mod config;
pub mod delivery;
pub mod error;
pub mod fee;
pub mod gas;
pub mod indexer;
pub mod json;
pub mod liquidity;
pub mod quote;
pub mod recovery;
pub mod revert;
pub mod sequencer;
pub mod status;
pub mod tx;
pub mod xcall;

pub use amount::{format_units, Amount, AmountError};
pub use asset::{AssetInfo, AssetRef, BadAssetRef};
pub use client::Sdk;
pub use config::{ConfigError, DomainSettings, Timing};
pub use delivery::{CallOutcome, Delivery, FeeStatus};
pub use error::SdkError;
pub use fee::{FeeEstimate, FeeQuote, FeeSource, SequencerRetry};
pub use gas::{DeliveryPath, XReceiveCall, XReceiveGas};
pub use liquidity::{LiquidityReceipt, RecipientProposal};
pub use quote::Quote;
pub use recovery::{BumpReceipt, OverrideReceipt};
pub use revert::Revert;
pub use sequencer::{SequencerFuture, SequencerView};
pub use status::{BadStage, Followed, SentTransfer, Stage, TransferReport, Transition};
pub use tx::TxOutcome;
pub use xcall::{Allowance, RelayerFee, XcallReceipt, XcallRequest, DEFAULT_SLIPPAGE_BPS};

// The foreign types of this API, re-exported so integrators build against the same versions.
pub use alloy::{
    primitives::{Address, Bytes, B256, U256},
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};
pub use nxtp_deployment::Manifest;
pub use nxtp_primitives::{parse_checked_address, transfer_id, AddressError, Domain, TransferInfo};
