//! What the SDK asks of the sequencer: the relayer fee a transfer must pay, and why a transfer waits.
//!
//! A trait rather than the HTTP client itself, so integrators (and tests) can answer from elsewhere; the
//! sequencer's HTTP client ([`SequencerClient`]) implements it.

use crate::error::BoxError;
use alloy::primitives::{B256, U256};
use nxtp_api::sequencer::{SequencerClient, SequencerClientError};
use nxtp_primitives::Domain;
use std::{future::Future, pin::Pin};

/// A boxed future of a sequencer answer.
pub type SequencerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send + 'a>>;

/// The sequencer's answers the SDK uses.
pub trait SequencerView: Send + Sync {
    /// The native relayer fee (wei) a transfer from `origin` to `destination` must pay.
    fn relayer_fee(&self, origin: Domain, destination: Domain) -> SequencerFuture<'_, U256>;

    /// Why the sequencer has not yet had the transfer executed, in a sentence; `None` if it does not know the
    /// transfer.
    fn waiting_reason(&self, transfer_id: B256) -> SequencerFuture<'_, Option<String>>;
}

/// `GET /v1/quote` and `GET /v1/transfers/<id>` of the sequencer's HTTP API.
impl SequencerView for SequencerClient {
    fn relayer_fee(&self, origin: Domain, destination: Domain) -> SequencerFuture<'_, U256> {
        Box::pin(async move {
            let quote = self.quote(origin, destination).await?;
            Ok(quote.relayer_fee)
        })
    }

    fn waiting_reason(&self, transfer_id: B256) -> SequencerFuture<'_, Option<String>> {
        Box::pin(async move {
            match self.transfer(transfer_id).await {
                Ok(view) => Ok(Some(view.reason)),
                Err(SequencerClientError::UnknownTransfer(_)) => Ok(None),
                Err(err) => Err(err.into()),
            }
        })
    }
}
