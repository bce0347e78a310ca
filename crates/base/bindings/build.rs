//! Builds the contracts with the project's pinned forge before the bindings are expanded, so the Rust
//! types always come from the current Solidity sources: a contract change that breaks an agent fails
//! the Rust build.
//!
//! Then splits `Connext`'s artifact in two (see [`split_connext`]): alloy's `sol!` suffixes every
//! variant of an overloaded function (`xcall_0Call`, `xcall_1Call`), so the overloads `Connext` has
//! only for Connext compatibility are bound on their own, as `ConnextCompat`, and `Connext::xcallCall`
//! stays nxtp's 8-argument `xcall`.

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::Value;

/// The functions `Connext` declares only to match Connext's published `IConnext` whose names nxtp also
/// uses with other arguments: bound as `ConnextCompat`, left out of the `Connext` binding.
const COMPAT_OVERLOADS: &[&str] = &[
    "xcall(uint32,address,address,address,uint256,uint256,bytes)",
    "xcallIntoLocal(uint32,address,address,address,uint256,uint256,bytes)",
    "bumpTransfer(bytes32)",
    "addRouterLiquidity(uint256,address)",
];

/// Where the split artifacts go (next to forge's, so `sol!` finds them at a fixed path).
const SPLIT_DIR: &str = "out/nxtp-bindings";

/// Artifacts outside `src/` that the bindings also use: test-only contracts that the devnet deploys, and
/// the example xApps (compiled against the npm package `@connext/interfaces`, remapped to `node_modules`
/// in `foundry.toml`, so `make setup` must have run) with the gas-hungry receiver the devnet's xApp
/// test deploys.
const EXTRA_SOURCES: &[&str] = &[
    "test/messaging/utils/RecordingRecipient.sol",
    "test/xapps/Greeter.sol",
    "test/xapps/AuthenticatedGreeter.sol",
    "test/xapps/PingPong.sol",
    "test/xapps/SwapAndXCall.sol",
    "test/xapps/DemoSwapper.sol",
    "test/core/utils/Receivers.sol",
];

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("../../..");
    let contracts = root.join("contracts");
    println!("cargo:rerun-if-changed={}", contracts.join("src").display());
    println!(
        "cargo:rerun-if-changed={}",
        contracts.join("foundry.toml").display()
    );
    for extra in EXTRA_SOURCES {
        println!("cargo:rerun-if-changed={}", contracts.join(extra).display());
    }
    println!("cargo:rerun-if-env-changed=NXTP_SKIP_FORGE_BUILD");
    if std::env::var_os("NXTP_SKIP_FORGE_BUILD").is_none() {
        forge_build(&root, &contracts);
    }
    split_connext(&contracts);
}

/// Builds `src/` and [`EXTRA_SOURCES`] with the pinned forge.
fn forge_build(root: &Path, contracts: &Path) {
    let forge = root.join("node_modules/.bin/forge");
    if !forge.exists() {
        panic!(
            "{} is missing: run `make setup` to install the pinned Foundry toolchain",
            forge.display()
        );
    }
    let status = Command::new(&forge)
        .arg("build")
        .arg("src")
        .args(EXTRA_SOURCES)
        .current_dir(contracts)
        .status()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", forge.display()));
    if !status.success() {
        panic!("`forge build` failed in {} ({status})", contracts.display());
    }
}

/// A function's canonical signature, `name(type,...)`, from its ABI entry.
fn signature(entry: &Value) -> String {
    let name = entry["name"].as_str().unwrap_or_default();
    let inputs: Vec<String> = entry["inputs"]
        .as_array()
        .map(|inputs| inputs.iter().map(canonical_type).collect())
        .unwrap_or_default();
    format!("{name}({})", inputs.join(","))
}

/// An ABI parameter's canonical type (tuples spelled out, as selectors hash them).
fn canonical_type(param: &Value) -> String {
    let kind = param["type"].as_str().unwrap_or_default();
    match kind.strip_prefix("tuple") {
        Some(suffix) => {
            let components: Vec<String> = param["components"]
                .as_array()
                .map(|c| c.iter().map(canonical_type).collect())
                .unwrap_or_default();
            format!("({}){suffix}", components.join(","))
        }
        None => kind.to_owned(),
    }
}

/// Writes `Connext.json` (forge's artifact without [`COMPAT_OVERLOADS`]) and `ConnextCompat.json` (an
/// ABI of exactly those) into [`SPLIT_DIR`]. Fails the build if one of them is missing, or if the rest
/// still overloads a name: then a binding would be renamed, which must be a decision, not a surprise.
fn split_connext(contracts: &Path) {
    let source = contracts.join("out/Connext.sol/Connext.json");
    let text = fs::read_to_string(&source)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", source.display()));
    let mut artifact: Value = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not JSON: {err}", source.display()));
    let entries = artifact["abi"]
        .as_array()
        .unwrap_or_else(|| panic!("{} has no abi", source.display()))
        .clone();

    let (compat, rest): (Vec<Value>, Vec<Value>) = entries.into_iter().partition(|entry| {
        entry["type"] == "function" && COMPAT_OVERLOADS.contains(&signature(entry).as_str())
    });
    let moved: BTreeSet<String> = compat.iter().map(signature).collect();
    let missing: Vec<&&str> = COMPAT_OVERLOADS
        .iter()
        .filter(|sig| !moved.contains(**sig))
        .collect();
    assert!(
        missing.is_empty() && moved.len() == compat.len(),
        "Connext's ABI does not declare each compatibility overload once: missing {missing:?}"
    );
    let mut names = BTreeSet::new();
    for entry in rest.iter().filter(|entry| entry["type"] == "function") {
        let name = entry["name"].as_str().unwrap_or_default();
        assert!(
            names.insert(name.to_owned()),
            "Connext overloads `{name}` outside COMPAT_OVERLOADS: its binding would be renamed"
        );
    }

    artifact["abi"] = Value::Array(rest);
    let dir = contracts.join(SPLIT_DIR);
    fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
    write_json(&dir.join("Connext.json"), &artifact);
    write_json(
        &dir.join("ConnextCompat.json"),
        &serde_json::json!({ "abi": compat }),
    );
}

fn write_json(path: &Path, value: &Value) {
    let text = serde_json::to_string(value).expect("a serde_json Value always serializes");
    fs::write(path, text).unwrap_or_else(|err| panic!("cannot write {}: {err}", path.display()));
}
