//! Builds the contracts with the project's pinned forge before the bindings are expanded, so the Rust
//! types always come from the current Solidity sources: a contract change that breaks an agent fails
//! the Rust build.

use std::{path::PathBuf, process::Command};

/// Artifacts outside `src/` that the bindings also use (test-only contracts that the devnet deploys).
const EXTRA_SOURCES: &[&str] = &["test/messaging/utils/RecordingRecipient.sol"];

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
    if std::env::var_os("NXTP_SKIP_FORGE_BUILD").is_some() {
        return;
    }

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
        .current_dir(&contracts)
        .status()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", forge.display()));
    if !status.success() {
        panic!("`forge build` failed in {} ({status})", contracts.display());
    }
}
