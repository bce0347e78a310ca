//! The native relayer fee a transfer pays: the sequencer's quote, asked again a few times when it does not answer,
//! then, while it stays down, an estimate from the destination's own gas price, so a transfer can still be sent.
//!
//! The sequencer decides which fee it auctions at; an estimate below its quote leaves the transfer waiting for a
//! bump once the sequencer is back (`Sdk::status` says so, `Sdk::bump_to_quote` pays the difference).

use crate::{
    client::Sdk,
    error::{BoxError, SdkError},
    gas::{XReceiveCall, EXECUTE_OVERHEAD_GAS},
};
use alloy::{
    primitives::{Address, Bytes, U256},
    providers::Provider,
};
use nxtp_api::sequencer::SequencerClientError;
use nxtp_primitives::{Classify, Domain};
use std::{fmt, time::Duration};

/// How many times, and how patiently, the sequencer is asked for a quote before the SDK estimates one itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SequencerRetry {
    /// Requests in all (at least one).
    pub attempts: u32,
    /// The pause after the first failure; each later pause doubles.
    pub first_backoff: Duration,
}

impl Default for SequencerRetry {
    /// Three requests, 500 ms then 1 s apart.
    fn default() -> Self {
        Self {
            attempts: 3,
            first_backoff: Duration::from_millis(500),
        }
    }
}

/// How many times the destination's current gas price an estimated fee pays: room for the price to rise before the
/// relayer sends the execute, and for the relayer's own margin.
pub const ESTIMATE_MARGIN: u64 = 3;

/// Where a transfer's relayer fee came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeeSource {
    /// The caller chose it.
    Given,
    /// The sequencer quoted it.
    Sequencer,
    /// The sequencer did not answer; estimated from the destination's gas price.
    Estimated(FeeEstimate),
}

impl FeeSource {
    /// A short stable name: `given`, `sequencer` or `estimated`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::Sequencer => "sequencer",
            Self::Estimated(_) => "estimated",
        }
    }
}

/// A relayer fee estimated without the sequencer: what the relayer's `execute` costs on the destination now, times
/// [`ESTIMATE_MARGIN`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeEstimate {
    /// The `execute` gas assumed: [`EXECUTE_OVERHEAD_GAS`], plus the receiver's `xReceive` for a call.
    pub execute_gas: u64,
    /// The destination's gas price when estimated, in wei.
    pub gas_price: u128,
    /// The multiplier applied ([`ESTIMATE_MARGIN`]).
    pub margin: u64,
    /// How many times the sequencer was asked.
    pub attempts: u32,
    /// Why the sequencer's quote was not used, as its last failure said.
    pub sequencer_error: String,
}

impl fmt::Display for FeeEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the sequencer did not answer after {} attempt(s) ({}); estimated from the destination's gas price: \
             {} gas x {} wei x {}",
            self.attempts, self.sequencer_error, self.execute_gas, self.gas_price, self.margin
        )
    }
}

/// A relayer fee and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeQuote {
    /// Native wei.
    pub wei: U256,
    /// Where it came from.
    pub source: FeeSource,
}

impl Sdk {
    /// The relayer fee a transfer from `origin` to `destination` (to `to`, with `call_data` for its receiver) should
    /// pay: the sequencer's quote, asked up to [`SequencerRetry::attempts`] times; if it never answers, an estimate
    /// from the destination's gas price ([`FeeSource::Estimated`], which says why). Fails without a sequencer
    /// ([`SdkError::NoSequencer`]), at once when the sequencer answers with a refusal retrying cannot change (it is
    /// up and says no: an estimate would only send a transfer it will not auction), and with the sequencer's error
    /// when the estimate fails too.
    ///
    /// ```no_run
    /// # async fn demo(sdk: nxtp_sdk::Sdk) -> Result<(), nxtp_sdk::SdkError> {
    /// use alloy::primitives::{Address, Bytes};
    /// use nxtp_primitives::Domain;
    /// use nxtp_sdk::FeeSource;
    ///
    /// let fee = sdk.relayer_fee_quote(Domain(1000), Domain(2000), Address::ZERO, &Bytes::new()).await?;
    /// if let FeeSource::Estimated(estimate) = &fee.source {
    ///     eprintln!("warning: {estimate}");
    /// }
    /// println!("{} wei", fee.wei);
    /// # Ok(()) }
    /// ```
    pub async fn relayer_fee_quote(
        &self,
        origin: Domain,
        destination: Domain,
        to: Address,
        call_data: &Bytes,
    ) -> Result<FeeQuote, SdkError> {
        let sequencer = self.sequencer().ok_or(SdkError::NoSequencer)?;
        let retry = self.sequencer_retry();
        let attempts = retry.attempts.max(1);
        let mut backoff = retry.first_backoff;
        let mut last_error: Option<BoxError> = None;
        for attempt in 1..=attempts {
            match sequencer.relayer_fee(origin, destination).await {
                Ok(wei) => {
                    return Ok(FeeQuote {
                        wei,
                        source: FeeSource::Sequencer,
                    })
                }
                Err(err) => {
                    let refused = err
                        .downcast_ref::<SequencerClientError>()
                        .is_some_and(Classify::is_fatal);
                    if refused {
                        return Err(SdkError::Sequencer(err));
                    }
                    last_error = Some(err);
                }
            }
            if attempt < attempts {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
        }
        let sequencer_error = last_error.map(|err| error_chain(err.as_ref()));
        let sequencer_error = sequencer_error.unwrap_or_default();
        match self
            .estimate_relayer_fee(origin, destination, to, call_data)
            .await
        {
            Ok((wei, execute_gas, gas_price)) => Ok(FeeQuote {
                wei,
                source: FeeSource::Estimated(FeeEstimate {
                    execute_gas,
                    gas_price,
                    margin: ESTIMATE_MARGIN,
                    attempts,
                    sequencer_error,
                }),
            }),
            Err(_) => Err(SdkError::Sequencer(sequencer_error.into())),
        }
    }

    /// The fee, `execute` gas and gas price of an estimate that needs no sequencer.
    async fn estimate_relayer_fee(
        &self,
        origin: Domain,
        destination: Domain,
        to: Address,
        call_data: &Bytes,
    ) -> Result<(U256, u64, u128), SdkError> {
        let execute_gas = if call_data.is_empty() {
            EXECUTE_OVERHEAD_GAS
        } else {
            let call = XReceiveCall::new(to, origin, call_data.clone());
            match self.estimate_xreceive_gas(destination, &call).await {
                Ok(gas) => gas.execute_gas,
                // A receiver that reverts now may be fixed by the time the transfer arrives: price the most
                // `Connext` gives it.
                Err(_) => EXECUTE_OVERHEAD_GAS
                    .saturating_add(self.x_receive_gas_limit(destination).await?),
            }
        };
        let gas_price = self
            .reader(destination)
            .await?
            .get_gas_price()
            .await
            .map_err(|err| SdkError::from_transport(destination, "eth_gasPrice", err))?;
        let wei = U256::from(execute_gas)
            .saturating_mul(U256::from(gas_price))
            .saturating_mul(U256::from(ESTIMATE_MARGIN));
        Ok((wei, execute_gas, gas_price))
    }

    async fn x_receive_gas_limit(&self, destination: Domain) -> Result<u64, SdkError> {
        let limit = self
            .connext(destination)
            .await?
            .xReceiveGasLimit()
            .call()
            .await
            .map_err(|err| SdkError::from_contract(destination, "Connext.xReceiveGasLimit", err))?;
        Ok(u64::from(limit))
    }
}

/// An error and its causes on one line, `a: b: c`.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_says_why_and_how() {
        let estimate = FeeEstimate {
            execute_gas: 150_000,
            gas_price: 2,
            margin: ESTIMATE_MARGIN,
            attempts: 3,
            sequencer_error: "connection refused".to_owned(),
        };
        assert_eq!(
            estimate.to_string(),
            "the sequencer did not answer after 3 attempt(s) (connection refused); estimated from the \
             destination's gas price: 150000 gas x 2 wei x 3"
        );
        assert_eq!(FeeSource::Estimated(estimate).name(), "estimated");
        assert_eq!(FeeSource::Given.name(), "given");
        assert_eq!(FeeSource::Sequencer.name(), "sequencer");
    }

    /// A sequencer that fails every quote with `error`, counting the requests.
    struct Failing {
        asked: std::sync::atomic::AtomicU32,
        error: fn() -> SequencerClientError,
    }

    impl crate::SequencerView for Failing {
        fn relayer_fee(&self, _: Domain, _: Domain) -> crate::SequencerFuture<'_, U256> {
            self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let error = (self.error)();
            Box::pin(async move { Err(error.into()) })
        }

        fn waiting_reason(
            &self,
            _: alloy::primitives::B256,
        ) -> crate::SequencerFuture<'_, Option<String>> {
            Box::pin(async { Ok(None) })
        }
    }

    async fn ask(error: fn() -> SequencerClientError) -> (u32, SdkError) {
        let failing = std::sync::Arc::new(Failing {
            asked: Default::default(),
            error,
        });
        let sdk = Sdk::new(Default::default())
            .with_sequencer(failing.clone())
            .with_sequencer_retry(SequencerRetry {
                attempts: 3,
                first_backoff: Duration::from_millis(1),
            });
        let err = sdk
            .relayer_fee_quote(Domain(1000), Domain(2000), Address::ZERO, &Bytes::new())
            .await
            .expect_err("no quote and no chain to estimate on");
        (failing.asked.load(std::sync::atomic::Ordering::SeqCst), err)
    }

    #[tokio::test]
    async fn a_sequencer_down_is_asked_again_and_a_refusal_is_not() {
        let (asked, err) = ask(|| SequencerClientError::UnexpectedResponse {
            status: 503,
            body: "down".to_owned(),
        })
        .await;
        assert_eq!(asked, 3, "retried");
        assert!(matches!(err, SdkError::Sequencer(_)), "{err}");

        let (asked, err) = ask(|| SequencerClientError::Rejected {
            status: 400,
            code: nxtp_api::sequencer::ErrorCode::Malformed,
            message: "no such route".to_owned(),
        })
        .await;
        assert_eq!(asked, 1, "a refusal is final");
        assert!(matches!(err, SdkError::Sequencer(_)), "{err}");
    }

    #[test]
    fn causes_are_joined_on_one_line() {
        let err = std::io::Error::other("refused");
        assert_eq!(error_chain(&err), "refused");
    }
}
