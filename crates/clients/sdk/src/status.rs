//! Where a transfer stands: found by its `XCalled` on the origin, judged by the destination's `transferStatus`.

use crate::{
    client::Sdk,
    delivery::{CallOutcome, Delivery, FeeStatus},
    error::SdkError,
};
use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::SolEvent,
};
use nxtp_bindings::{Connext, XCalled};
use nxtp_primitives::{Domain, TransferInfo, TransferStatus};
use std::{
    fmt,
    str::FromStr,
    time::{Duration, Instant, SystemTime},
};

/// A transfer's progress. The fast path goes XCalled, Executed, CompletedFast; the slow path XCalled,
/// Reconciled, CompletedSlow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Sent on the origin; nothing has happened on the destination yet.
    XCalled,
    /// Routers fronted the funds on the destination; the message has not arrived yet.
    Executed,
    /// The message arrived before any router fronted the funds; it waits for the slow-path execute.
    Reconciled,
    /// Fronted by routers, then reconciled: the routers are repaid.
    CompletedFast,
    /// Reconciled, then executed without routers.
    CompletedSlow,
}

impl Stage {
    /// Whether the transfer can go no further.
    pub fn is_final(self) -> bool {
        matches!(self, Self::CompletedFast | Self::CompletedSlow)
    }

    /// Whether a transfer at this stage has passed `target`: the recipient has the funds once it is
    /// `Executed` or completed either way; the message has arrived once it is `Reconciled` or completed.
    pub fn reaches(self, target: Self) -> bool {
        match target {
            Self::XCalled => true,
            Self::Executed => matches!(
                self,
                Self::Executed | Self::CompletedFast | Self::CompletedSlow
            ),
            Self::Reconciled => matches!(
                self,
                Self::Reconciled | Self::CompletedFast | Self::CompletedSlow
            ),
            Self::CompletedFast | Self::CompletedSlow => self == target,
        }
    }

    /// The stage a destination record stands for; the routers tell the two completions apart.
    fn of(status: TransferStatus, routers: &[Address]) -> Self {
        match status {
            TransferStatus::None => Self::XCalled,
            TransferStatus::Executed => Self::Executed,
            TransferStatus::Reconciled => Self::Reconciled,
            TransferStatus::Completed if routers.is_empty() => Self::CompletedSlow,
            TransferStatus::Completed => Self::CompletedFast,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::XCalled => "XCalled",
            Self::Executed => "Executed",
            Self::Reconciled => "Reconciled",
            Self::CompletedFast => "CompletedFast",
            Self::CompletedSlow => "CompletedSlow",
        })
    }
}

/// Text that names no stage.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a stage (xcalled, executed, reconciled, completed-fast, completed-slow)")]
pub struct BadStage(pub String);

impl FromStr for Stage {
    type Err = BadStage;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let key: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Ok(match key.as_str() {
            "xcalled" => Self::XCalled,
            "executed" => Self::Executed,
            "reconciled" => Self::Reconciled,
            "completedfast" => Self::CompletedFast,
            "completedslow" => Self::CompletedSlow,
            _ => return Err(BadStage(text.to_owned())),
        })
    }
}

/// A transfer as found on the origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentTransfer {
    /// Everything hashed into its id.
    pub params: TransferInfo,
    /// The asset the sender supplied.
    pub asset: Address,
    /// The amount the sender supplied.
    pub amount: U256,
    /// The `xcall` transaction.
    pub origin_tx: B256,
    /// Its block.
    pub origin_block: u64,
}

/// Where a transfer stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferReport {
    /// The transfer's id.
    pub transfer_id: B256,
    /// The transfer as sent.
    pub sent: SentTransfer,
    /// Its progress on the destination.
    pub stage: Stage,
    /// The routers that fronted it, in path order (empty unless fronted).
    pub routers: Vec<Address>,
    /// Why it waits, as the sequencer explains it (when one is configured and the transfer is not yet executed).
    pub waiting: Option<String>,
    /// The destination's `execute`: its transaction and what the recipient received, once delivered.
    pub delivery: Option<Delivery>,
    /// What became of the call to the receiver (transfers with calldata), decoded when it failed.
    pub call: Option<CallOutcome>,
    /// The native relayer fee paid, and the sequencer's quote while the transfer waits for routers.
    pub relayer_fee: FeeStatus,
}

impl TransferReport {
    /// The origin domain.
    pub fn origin(&self) -> Domain {
        Domain(self.sent.params.originDomain)
    }

    /// The destination domain.
    pub fn destination(&self) -> Domain {
        Domain(self.sent.params.destinationDomain)
    }
}

/// One observed change of a followed transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The stage reached.
    pub stage: Stage,
    /// The sequencer's explanation at that moment, if any.
    pub waiting: Option<String>,
    /// When it was observed.
    pub at: SystemTime,
    /// How long after the start of the wait.
    pub elapsed: Duration,
}

/// What [`Sdk::wait_for`] saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Followed {
    /// The last report.
    pub report: TransferReport,
    /// Every change observed, in order (the first is where the transfer stood when the wait began).
    pub transitions: Vec<Transition>,
}

impl Sdk {
    /// Finds a transfer by its `XCalled` on whichever configured domain sent it.
    pub async fn find_transfer(&self, transfer_id: B256) -> Result<SentTransfer, SdkError> {
        for domain in self.domains() {
            if let Some(sent) = self.find_transfer_on(domain, transfer_id).await? {
                return Ok(sent);
            }
        }
        Err(SdkError::TransferNotFound(transfer_id))
    }

    /// The transfer's `XCalled` on `domain`, searched by its indexed id from the domain's first block.
    pub async fn find_transfer_on(
        &self,
        domain: Domain,
        transfer_id: B256,
    ) -> Result<Option<SentTransfer>, SdkError> {
        let settings = self.settings(domain)?;
        let filter = Filter::new()
            .address(settings.connext)
            .event_signature(Connext::XCalled::SIGNATURE_HASH)
            .topic1(transfer_id)
            .from_block(settings.from_block);
        let logs = self
            .reader(domain)
            .await?
            .get_logs(&filter)
            .await
            .map_err(|err| SdkError::from_transport(domain, "search XCalled logs", err))?;
        let Some(log) = logs.first() else {
            return Ok(None);
        };
        let origin_tx = log.transaction_hash.unwrap_or_default();
        let event = XCalled::decode(&log.inner, domain).map_err(|source| SdkError::BadXCalled {
            domain,
            tx: origin_tx,
            source,
        })?;
        Ok(Some(SentTransfer {
            params: event.params,
            asset: event.asset,
            amount: event.amount,
            origin_tx,
            origin_block: log.block_number.unwrap_or_default(),
        }))
    }

    /// Where the transfer stands: found on its origin, judged on its destination, and (with a sequencer, while
    /// nothing has been delivered) why it waits.
    ///
    /// ```no_run
    /// # async fn demo(sdk: nxtp_sdk::Sdk, id: alloy::primitives::B256) -> Result<(), nxtp_sdk::SdkError> {
    /// let report = sdk.status(id).await?;
    /// println!("{} -> {}: {}", report.origin(), report.destination(), report.stage);
    /// if let Some(why) = &report.waiting {
    ///     println!("waiting: {why}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn status(&self, transfer_id: B256) -> Result<TransferReport, SdkError> {
        let sent = self.find_transfer(transfer_id).await?;
        self.status_of(transfer_id, sent).await
    }

    async fn status_of(
        &self,
        transfer_id: B256,
        sent: SentTransfer,
    ) -> Result<TransferReport, SdkError> {
        let destination = Domain(sent.params.destinationDomain);
        let (stage, routers) = self.destination_record(transfer_id, &sent).await?;
        let (waiting, quote) = match (self.sequencer(), stage) {
            (Some(sequencer), Stage::XCalled) => {
                let waiting = match sequencer.waiting_reason(transfer_id).await {
                    // A receiver's revert the relayer could not decode reaches here as hex.
                    Ok(reason) => {
                        reason.map(|reason| crate::revert::decode_quoted_reverts(&reason))
                    }
                    Err(err) => Some(format!("the sequencer did not answer: {err}")),
                };
                // One request: a status read does not wait out a sequencer that is down.
                let origin = Domain(sent.params.originDomain);
                (
                    waiting,
                    sequencer.relayer_fee(origin, destination).await.ok(),
                )
            }
            _ => (None, None),
        };
        let delivery = if stage.reaches(Stage::Executed) {
            self.delivery(destination, transfer_id).await?
        } else {
            None
        };
        // Before delivery only the fast path's call can be simulated; a reconciled transfer waits for the slow one.
        let call = if delivery.is_some() || stage == Stage::XCalled {
            self.call_outcome(&sent, transfer_id, delivery.is_some())
                .await?
        } else {
            None
        };
        let paid = self
            .relayer_fee_paid(Domain(sent.params.originDomain), transfer_id)
            .await?;
        Ok(TransferReport {
            transfer_id,
            sent,
            stage,
            routers,
            waiting,
            delivery,
            call,
            relayer_fee: FeeStatus { paid, quote },
        })
    }

    /// The transfer's stage on its destination.
    pub(crate) async fn stage_of(
        &self,
        transfer_id: B256,
        sent: &SentTransfer,
    ) -> Result<Stage, SdkError> {
        Ok(self.destination_record(transfer_id, sent).await?.0)
    }

    /// The transfer's stage and routers on its destination.
    async fn destination_record(
        &self,
        transfer_id: B256,
        sent: &SentTransfer,
    ) -> Result<(Stage, Vec<Address>), SdkError> {
        let destination = Domain(sent.params.destinationDomain);
        let connext = self.connext(destination).await?;
        let status = connext
            .transferStatus(transfer_id)
            .call()
            .await
            .map_err(|err| SdkError::from_contract(destination, "Connext.transferStatus", err))?;
        let routers = connext
            .transferRouters(transfer_id)
            .call()
            .await
            .map_err(|err| SdkError::from_contract(destination, "Connext.transferRouters", err))?;
        let status = TransferStatus::try_from(status).map_err(|err| SdkError::Rpc {
            domain: destination,
            action: "Connext.transferStatus",
            source: err.into(),
        })?;
        Ok((Stage::of(status, &routers), routers))
    }

    /// Follows a transfer until it reaches `target` (see [`Stage::reaches`]) or can go no further, calling
    /// `observer` with every change of stage or of the sequencer's explanation. A transfer not found yet (its
    /// `xcall` just sent) or a failed read is retried until `timeout`.
    ///
    /// ```no_run
    /// # async fn demo(sdk: nxtp_sdk::Sdk, id: alloy::primitives::B256) -> Result<(), nxtp_sdk::SdkError> {
    /// use nxtp_sdk::Stage;
    /// use std::time::Duration;
    ///
    /// let followed = sdk
    ///     .wait_for(id, Stage::CompletedFast, Duration::from_secs(120), |change| {
    ///         println!("+{:>5.1}s {}", change.elapsed.as_secs_f64(), change.stage);
    ///     })
    ///     .await?;
    /// assert!(followed.report.stage.is_final());
    /// # Ok(()) }
    /// ```
    pub async fn wait_for(
        &self,
        transfer_id: B256,
        target: Stage,
        timeout: Duration,
        mut observer: impl FnMut(&Transition),
    ) -> Result<Followed, SdkError> {
        let started = Instant::now();
        let mut sent = None;
        let mut transitions: Vec<Transition> = Vec::new();
        let mut last_error = None;
        let mut last_report: Option<TransferReport> = None;
        loop {
            let attempt = async {
                let found = match &sent {
                    Some(found) => Clone::clone(found),
                    None => self.find_transfer(transfer_id).await?,
                };
                self.status_of(transfer_id, found).await
            };
            match attempt.await {
                Ok(report) => {
                    sent.get_or_insert_with(|| report.sent.clone());
                    let changed = transitions.last().is_none_or(|last| {
                        last.stage != report.stage || last.waiting != report.waiting
                    });
                    if changed {
                        let transition = Transition {
                            stage: report.stage,
                            waiting: report.waiting.clone(),
                            at: SystemTime::now(),
                            elapsed: started.elapsed(),
                        };
                        observer(&transition);
                        transitions.push(transition);
                    }
                    if report.stage.reaches(target) || report.stage.is_final() {
                        return Ok(Followed {
                            report,
                            transitions,
                        });
                    }
                    last_report = Some(report);
                }
                Err(err @ (SdkError::UnknownDomain { .. } | SdkError::Config(_))) => {
                    return Err(err)
                }
                Err(err) => last_error = Some(err),
            }
            if started.elapsed() >= timeout {
                return Err(match (last_report, last_error) {
                    (Some(report), _) => SdkError::WaitTimeout {
                        transfer_id,
                        target,
                        last: report.stage,
                        waited_secs: started.elapsed().as_secs(),
                    },
                    (None, Some(err)) => err,
                    (None, None) => SdkError::TransferNotFound(transfer_id),
                });
            }
            tokio::time::sleep(self.timing().poll_interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_follow_both_paths() {
        use Stage::*;
        let router = [Address::ZERO];
        assert_eq!(Stage::of(TransferStatus::None, &[]), XCalled);
        assert_eq!(Stage::of(TransferStatus::Executed, &router), Executed);
        assert_eq!(Stage::of(TransferStatus::Reconciled, &[]), Reconciled);
        assert_eq!(Stage::of(TransferStatus::Completed, &router), CompletedFast);
        assert_eq!(Stage::of(TransferStatus::Completed, &[]), CompletedSlow);

        assert!(CompletedSlow.reaches(Executed) && CompletedFast.reaches(Reconciled));
        assert!(!Reconciled.reaches(Executed) && !Executed.reaches(Reconciled));
        assert!(!CompletedSlow.reaches(CompletedFast));
        assert!(XCalled.reaches(XCalled) && !XCalled.is_final() && CompletedSlow.is_final());
    }

    #[test]
    fn stages_parse_from_their_names() {
        for stage in [
            Stage::XCalled,
            Stage::Executed,
            Stage::Reconciled,
            Stage::CompletedFast,
            Stage::CompletedSlow,
        ] {
            assert_eq!(stage.to_string().parse::<Stage>(), Ok(stage));
        }
        assert_eq!("completed-fast".parse::<Stage>(), Ok(Stage::CompletedFast));
        assert!("done".parse::<Stage>().is_err());
    }
}
