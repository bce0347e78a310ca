//! The liquidity layer's shared vectors (`contracts/test/vectors/transfers.json`, written by the Solidity
//! tests): every transfer's ABI encoding and id, and the EIP-712 router bids and sequencer selections
//! (signing domain, struct hashes, digests, signatures), must come out of this crate byte for byte.

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    sol_types::{SolStruct, SolValue},
};
use nxtp_primitives::{
    recover_digest, transfer_id,
    typed_data::{RouterBid, RouterSelection, CONNEXT_NAME, VERSION},
    ConnextSigningDomain, TransferInfo,
};
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

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {value}"))
}

fn parse<T: FromStr>(value: &Value, key: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    let raw = text(value, key);
    raw.parse()
        .unwrap_or_else(|err| panic!("{key} = {raw}: {err:?}"))
}

fn domain(value: &Value, key: &str) -> u32 {
    let raw = value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a number"));
    u32::try_from(raw).unwrap_or_else(|_| panic!("{key} = {raw} does not fit a domain"))
}

fn transfer_info(params: &Value) -> TransferInfo {
    TransferInfo {
        originDomain: domain(params, "originDomain"),
        destinationDomain: domain(params, "destinationDomain"),
        canonicalDomain: domain(params, "canonicalDomain"),
        to: parse::<Address>(params, "to"),
        delegate: parse::<Address>(params, "delegate"),
        receiveLocal: params["receiveLocal"]
            .as_bool()
            .expect("receiveLocal is a bool"),
        callData: parse::<Bytes>(params, "callData"),
        slippage: parse::<U256>(params, "slippage"),
        originSender: parse::<Address>(params, "originSender"),
        bridgedAmt: parse::<U256>(params, "bridgedAmt"),
        normalizedIn: parse::<U256>(params, "normalizedIn"),
        nonce: parse::<U256>(params, "nonce"),
        canonicalId: parse::<B256>(params, "canonicalId"),
    }
}

#[test]
fn transfer_encodings_and_ids_match_solidity() {
    let vectors = vectors();
    let transfers = vectors["transfers"].as_array().expect("transfers");
    assert!(!transfers.is_empty(), "the file holds transfers");
    for transfer in transfers {
        let info = transfer_info(&transfer["params"]);
        assert_eq!(
            Bytes::from(info.abi_encode()),
            parse::<Bytes>(transfer, "encoded"),
            "encoding of {info:?}"
        );
        assert_eq!(
            transfer_id(&info),
            parse::<B256>(transfer, "transferId"),
            "id of {info:?}"
        );
    }
}

#[test]
fn bid_and_sequencer_digests_and_signatures_match_solidity() {
    let vectors = vectors();
    let signing = &vectors["signingDomain"];
    assert_eq!(text(signing, "name"), CONNEXT_NAME);
    assert_eq!(text(signing, "version"), VERSION);
    let chain_id = signing["chainId"].as_u64().expect("chainId");
    let domain =
        ConnextSigningDomain::new(chain_id, parse::<Address>(signing, "verifyingContract"));
    assert_eq!(domain.separator(), parse::<B256>(signing, "separator"));
    let routers: Vec<Address> = vectors["routers"]
        .as_array()
        .expect("routers")
        .iter()
        .map(|router| {
            router
                .as_str()
                .expect("router address")
                .parse()
                .expect("router address")
        })
        .collect();
    let sequencer = parse::<Address>(&vectors, "sequencer");
    for transfer in vectors["transfers"].as_array().expect("transfers") {
        let id = parse::<B256>(transfer, "transferId");
        for bid in transfer["routerBids"].as_array().expect("routerBids") {
            let path_length =
                usize::try_from(bid["pathLength"].as_u64().expect("pathLength")).expect("small");
            let statement = RouterBid {
                transferId: id,
                pathLength: U256::from(path_length),
            };
            assert_eq!(
                statement.eip712_hash_struct(),
                parse::<B256>(bid, "structHash"),
                "bid struct hash for path length {path_length}"
            );
            let digest = domain.router_bid_digest(id, path_length);
            assert_eq!(
                digest,
                parse::<B256>(bid, "digest"),
                "bid digest for path length {path_length}"
            );
            let signature = parse::<Bytes>(bid, "signature");
            assert_eq!(
                recover_digest(digest, &signature).expect("canonical"),
                parse::<Address>(bid, "signer")
            );
        }
        for signed in transfer["sequencerSignatures"]
            .as_array()
            .expect("sequencerSignatures")
        {
            let count = usize::try_from(signed["routerCount"].as_u64().expect("routerCount"))
                .expect("small");
            let statement = RouterSelection {
                transferId: id,
                routers: routers[..count].to_vec(),
            };
            assert_eq!(
                statement.eip712_hash_struct(),
                parse::<B256>(signed, "structHash"),
                "selection struct hash over {count} routers"
            );
            let digest = domain.router_selection_digest(id, &routers[..count]);
            assert_eq!(
                digest,
                parse::<B256>(signed, "digest"),
                "selection digest over {count} routers"
            );
            let signature = parse::<Bytes>(signed, "signature");
            assert_eq!(
                recover_digest(digest, &signature).expect("canonical"),
                sequencer
            );
        }
    }
}
