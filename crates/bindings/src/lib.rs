//! Contract bindings, generated at compile time from forge's artifacts in `contracts/out/`.
//!
//! Each module holds one contract's types (calls, events, errors) and, with the `rpc` attribute, an
//! instance type for calling and deploying it through an alloy provider. `build.rs` rebuilds the
//! artifacts first, so these never drift from the Solidity sources.

#![allow(missing_docs, clippy::too_many_arguments)]

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    Home,
    "../../contracts/out/Home.sol/Home.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    Replica,
    "../../contracts/out/Replica.sol/Replica.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    ConnectionManager,
    "../../contracts/out/ConnectionManager.sol/ConnectionManager.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    RecordingRecipient,
    "../../contracts/out/RecordingRecipient.sol/RecordingRecipient.json"
);
