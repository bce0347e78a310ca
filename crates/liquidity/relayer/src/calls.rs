//! What the relayer agrees to send: exactly one `Connext.execute` or `Replica.process` call, to
//! the contract its configuration names for the job's domain (and origin). Anything else is
//! refused before it is stored, so the relayer's key never calls an arbitrary contract or
//! function. A fast-path execute must also carry a well-formed sequencer quorum for its
//! destination (see [`check_quorum`]), so a relayer never pays to learn that it would revert.

use crate::config::DomainConfig;
use alloy::{
    primitives::{Address, Bytes, B256},
    sol_types::SolCall,
};
use nxtp_api::relayer::{job_id, ApiError, ErrorCode, JobKind, JobRequest};
use nxtp_bindings::{Connext, Replica, SequencerQuorum};
use nxtp_primitives::{transfer_id, ConnextSigningDomain, Domain};
use std::collections::BTreeMap;

/// A request the relayer accepts: what to call, where, and the job's id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// [`job_id`] of the domain, target and calldata.
    pub id: B256,
    /// The chain.
    pub domain: Domain,
    /// What it calls.
    pub kind: JobKind,
    /// The origin of a process job.
    pub origin: Option<Domain>,
    /// The contract called (from the configuration, never from the request).
    pub target: Address,
    /// The calldata, as posted.
    pub calldata: Bytes,
}

/// Checks `request` against the served `domains`; the refusal names why.
pub fn check(
    domains: &BTreeMap<Domain, DomainConfig>,
    request: JobRequest,
) -> Result<Job, ApiError> {
    let JobRequest {
        domain,
        kind,
        origin,
        calldata,
    } = request;
    match (kind, origin) {
        (JobKind::Execute, Some(origin)) => {
            return Err(ApiError::new(
                ErrorCode::Malformed,
                format!("an execute job has no origin (got {origin})"),
            ))
        }
        (JobKind::Process, None) => {
            return Err(ApiError::new(
                ErrorCode::Malformed,
                "a process job needs the origin whose Replica it calls",
            ))
        }
        _ => {}
    }
    let config = domains.get(&domain).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnknownDomain,
            format!("this relayer does not serve domain {domain}"),
        )
    })?;
    let target = config.target(kind, origin).ok_or_else(|| {
        let what = match origin {
            Some(origin) => format!("no Replica of origin {origin}"),
            None => "no Connext".to_owned(),
        };
        ApiError::new(
            ErrorCode::UnknownDomain,
            format!("this relayer knows {what} on domain {domain}"),
        )
    })?;
    let canonical = match kind {
        JobKind::Execute => is_canonical::<Connext::executeCall>(&calldata),
        JobKind::Process => is_canonical::<Replica::processCall>(&calldata),
    };
    if !canonical {
        let expected = match kind {
            JobKind::Execute => Connext::executeCall::SIGNATURE,
            JobKind::Process => Replica::processCall::SIGNATURE,
        };
        return Err(ApiError::new(
            ErrorCode::UnsupportedCall,
            format!("the calldata of a {kind} job must be exactly a call of {expected}"),
        ));
    }
    if kind == JobKind::Execute {
        check_quorum(config.chain.chain_id, target, &calldata)?;
    }
    Ok(Job {
        id: job_id(domain, target, &calldata),
        domain,
        kind,
        origin,
        target,
        calldata,
    })
}

/// Refuses a fast-path execute (one with routers) whose sequencers' signatures `Connext` at
/// `connext` on chain `chain_id` would refuse whatever its state: not 65-byte signatures of the
/// selection under that `Connext`'s domain, signers not strictly ascending (one counted twice),
/// or a first signer other than the `sequencer` named. Whether the signers are approved and
/// enough for the threshold only the chain says; the submitter's simulation asks it.
pub fn check_quorum(chain_id: u64, connext: Address, calldata: &[u8]) -> Result<(), ApiError> {
    let Ok(call) = Connext::executeCall::abi_decode(calldata) else {
        return Ok(());
    };
    let args = call.args;
    if args.routers.is_empty() {
        return Ok(());
    }
    let params: nxtp_primitives::TransferInfo = args.params.into();
    let digest = ConnextSigningDomain::new(chain_id, connext)
        .router_selection_digest(transfer_id(&params), &args.routers);
    SequencerQuorum::unpack(digest, args.sequencer, &args.sequencerSignature)
        .map(drop)
        .map_err(|err| {
            ApiError::new(
                ErrorCode::UnsupportedCall,
                format!(
                    "the execute's sequencer signatures are not a quorum Connext accepts: {err}"
                ),
            )
        })
}

/// Whether `calldata` is a call of `C` in its one canonical encoding: decoding it and encoding
/// the result gives the same bytes back. So one call has one job id, whatever padding or
/// trailing bytes a client might add.
fn is_canonical<C: SolCall>(calldata: &[u8]) -> bool {
    C::abi_decode_validate(calldata).is_ok_and(|call| call.abi_encode() == calldata)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::{primitives::U256, signers::local::PrivateKeySigner};
    use nxtp_primitives::sign_digest;

    const DESTINATION: Domain = Domain(2000);
    const ORIGIN: Domain = Domain(1000);
    const CONNEXT: Address = Address::repeat_byte(0xc0);
    const REPLICA: Address = Address::repeat_byte(0x4e);

    fn domains() -> BTreeMap<Domain, DomainConfig> {
        let chain =
            toml::from_str("rpc_url = \"http://127.0.0.1:8545\"\nchain_id = 1\nconfirmations = 1")
                .expect("chain config");
        BTreeMap::from([(
            DESTINATION,
            DomainConfig {
                chain,
                connext: Some(CONNEXT),
                replicas: BTreeMap::from([(ORIGIN, REPLICA)]),
            },
        )])
    }

    fn execute_calldata() -> Bytes {
        let params = nxtp_primitives::TransferInfo {
            originDomain: ORIGIN.get(),
            destinationDomain: DESTINATION.get(),
            canonicalDomain: ORIGIN.get(),
            to: Address::repeat_byte(1),
            delegate: Address::ZERO,
            receiveLocal: false,
            callData: Bytes::new(),
            slippage: U256::from(30),
            originSender: Address::repeat_byte(2),
            bridgedAmt: U256::from(7),
            normalizedIn: U256::from(7),
            nonce: U256::from(1),
            canonicalId: B256::repeat_byte(3),
        };
        nxtp_bindings::execute_calldata(&params, nxtp_bindings::Fronting::default())
    }

    /// A one-router fast execute of `execute_calldata`'s transfer, its selection signed by
    /// `sequencers` (in the order given) for `CONNEXT` on chain 1.
    fn fast_calldata(sequencers: &[PrivateKeySigner], chain_id: u64) -> Bytes {
        let call = Connext::executeCall::abi_decode(&execute_calldata()).expect("an execute");
        let params: nxtp_primitives::TransferInfo = call.args.params.into();
        let routers = vec![Address::repeat_byte(0x77)];
        let digest = ConnextSigningDomain::new(chain_id, CONNEXT)
            .router_selection_digest(transfer_id(&params), &routers);
        let mut packed = Vec::new();
        for key in sequencers {
            packed.extend_from_slice(&sign_digest(key, digest).expect("signs"));
        }
        let fronting = nxtp_bindings::Fronting {
            routers,
            router_signatures: vec![Bytes::from_static(&[0; 65])],
            sequencer: sequencers
                .first()
                .map(PrivateKeySigner::address)
                .unwrap_or_default(),
            sequencer_signature: packed.into(),
        };
        nxtp_bindings::execute_calldata(&params, fronting)
    }

    fn ascending(count: usize) -> Vec<PrivateKeySigner> {
        let mut keys: Vec<PrivateKeySigner> =
            (0..count).map(|_| PrivateKeySigner::random()).collect();
        keys.sort_by_key(PrivateKeySigner::address);
        keys
    }

    #[test]
    fn a_fast_execute_needs_a_well_formed_sequencer_quorum() {
        let keys = ascending(3);
        let accept =
            |calldata: Bytes| check(&domains(), JobRequest::execute(DESTINATION, calldata));
        assert!(
            accept(fast_calldata(&keys[..1], 1)).is_ok(),
            "one sequencer"
        );
        assert!(accept(fast_calldata(&keys, 1)).is_ok(), "three, ascending");
        let refused = |calldata: Bytes| {
            let err = accept(calldata).expect_err("refused");
            assert_eq!(err.error, ErrorCode::UnsupportedCall);
            err.message
        };
        let reversed: Vec<PrivateKeySigner> = keys.iter().rev().cloned().collect();
        assert!(refused(fast_calldata(&reversed, 1)).contains("not above the previous signer"));
        let twice = [keys[0].clone(), keys[0].clone()];
        assert!(refused(fast_calldata(&twice, 1)).contains("not above the previous signer"));
        assert!(
            refused(fast_calldata(&keys, 2)).contains("the arguments name"),
            "signed for another chain"
        );
        assert!(refused(fast_calldata(&[], 1)).contains("not a non-zero multiple of 65"));
    }

    fn process_calldata() -> Bytes {
        Replica::processCall {
            message: Bytes::from_static(b"message"),
        }
        .abi_encode()
        .into()
    }

    fn refusal(request: JobRequest) -> ErrorCode {
        check(&domains(), request).expect_err("refused").error
    }

    #[test]
    fn accepted_jobs_go_to_the_configured_contract() {
        let calldata = execute_calldata();
        let job = check(
            &domains(),
            JobRequest::execute(DESTINATION, calldata.clone()),
        )
        .expect("accepted");
        assert_eq!(job.target, CONNEXT);
        assert_eq!(job.id, job_id(DESTINATION, CONNEXT, &calldata));

        let calldata = process_calldata();
        let job = check(
            &domains(),
            JobRequest::process(DESTINATION, ORIGIN, calldata.clone()),
        )
        .expect("accepted");
        assert_eq!(job.target, REPLICA);
        assert_eq!(job.id, job_id(DESTINATION, REPLICA, &calldata));
    }

    #[test]
    fn anything_but_exactly_the_call_is_unsupported() {
        let execute = execute_calldata();
        let mut trailing = execute.to_vec();
        trailing.push(0);
        let mut dirty = execute.to_vec();
        // After the selector: the offset of `args`, then `args`' head of five words (the first,
        // the offset of `params`, is 0xa0), then `params.originDomain`, a uint32 whose high
        // bytes must be zero.
        dirty[4 + 32 + 0xa0 + 1] = 1;
        let other_function = Connext::transferStatusCall {
            transferId: B256::ZERO,
        }
        .abi_encode();
        for calldata in [
            trailing,
            dirty,
            other_function,
            process_calldata().to_vec(),
            vec![],
            execute[..4].to_vec(),
        ] {
            assert_eq!(
                refusal(JobRequest::execute(DESTINATION, calldata.into())),
                ErrorCode::UnsupportedCall
            );
        }
        assert_eq!(
            refusal(JobRequest::process(DESTINATION, ORIGIN, execute)),
            ErrorCode::UnsupportedCall
        );
    }

    #[test]
    fn unknown_domains_and_origins_and_inconsistent_kinds_are_refused() {
        assert_eq!(
            refusal(JobRequest::execute(Domain(3000), execute_calldata())),
            ErrorCode::UnknownDomain
        );
        assert_eq!(
            refusal(JobRequest::process(
                DESTINATION,
                Domain(3000),
                process_calldata()
            )),
            ErrorCode::UnknownDomain
        );
        let mut without_origin = JobRequest::process(DESTINATION, ORIGIN, process_calldata());
        without_origin.origin = None;
        assert_eq!(refusal(without_origin), ErrorCode::Malformed);
        let mut with_origin = JobRequest::execute(DESTINATION, execute_calldata());
        with_origin.origin = Some(ORIGIN);
        assert_eq!(refusal(with_origin), ErrorCode::Malformed);
    }
}
