//! The sequencer quorum of the shared vectors (`contracts/test/vectors/transfers.json`, written by
//! the Solidity tests): three sequencers' signatures of one selection, packed as `Connext.execute`
//! takes them, must unpack to the same signers and pack back to the same bytes here.

use alloy::primitives::{Address, Bytes, B256};
use nxtp_bindings::{Fronting, SequencerQuorum};
use nxtp_primitives::ConnextSigningDomain;
use serde_json::Value;
use std::str::FromStr;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../contracts/test/vectors/transfers.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{path}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn parse<T: FromStr>(value: &Value) -> T
where
    T::Err: std::fmt::Debug,
{
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a string"));
    text.parse()
        .unwrap_or_else(|err| panic!("{text} does not parse: {err:?}"))
}

#[test]
fn the_vectors_quorum_unpacks_to_its_signers_and_packs_back_byte_for_byte() {
    let vectors = vectors();
    let quorum = &vectors["sequencerQuorum"];
    let domain_json = &vectors["signingDomain"];
    let domain = ConnextSigningDomain::new(
        domain_json["chainId"].as_u64().expect("chainId"),
        parse(&domain_json["verifyingContract"]),
    );
    let router: Address = parse(&vectors["routers"][0]);
    let id: B256 = parse(&vectors["transfers"][0]["transferId"]);
    let digest = domain.router_selection_digest(id, &[router]);
    assert_eq!(digest, parse::<B256>(&quorum["digest"]), "selection digest");

    let named: Address = parse(&quorum["sequencer"]);
    let packed: Bytes = parse(&quorum["sequencerSignature"]);
    let signers: Vec<Address> = quorum["signers"]
        .as_array()
        .expect("signers")
        .iter()
        .map(parse)
        .collect();
    let unpacked = SequencerQuorum::unpack(digest, named, &packed).expect("a valid quorum");
    assert_eq!(unpacked.sequencers().collect::<Vec<_>>(), signers);

    // Gathered in any order, the same signatures give the same calldata fields.
    let mut gathered = SequencerQuorum::new();
    for signed in unpacked.signatures().iter().rev() {
        gathered.insert(signed.sequencer, signed.signature.clone());
    }
    let fronting = Fronting::selected_by(vec![router], vec![], &gathered);
    assert_eq!(fronting.sequencer, named);
    assert_eq!(fronting.sequencer_signature, packed);
}
