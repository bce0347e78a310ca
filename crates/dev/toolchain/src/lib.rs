//! Where the project's pinned Foundry binaries live once `make setup` installed them from npm.
//!
//! npm's `node_modules/.bin/anvil` is a Node wrapper that starts the real binary as a child; killing the
//! wrapper can leave that child running. So the native binary from the platform package is preferred,
//! and the wrapper is only a fallback for platforms whose package name this does not know.
//!
//! [`anvil`] and [`spawn_anvil`] start that anvil as a test chain: the crates' end-to-end tests run on it.

mod test_chain;

pub use test_chain::{anvil, spawn_anvil, Anvil, AnvilInstance, DEV_ACCOUNTS, SLOTS_IN_AN_EPOCH};

use std::path::{Path, PathBuf};

/// The pinned anvil under the repository `root`.
pub fn anvil_in(root: &Path) -> PathBuf {
    tool_in(root, "anvil")
}

/// The pinned forge under the repository `root`.
pub fn forge_in(root: &Path) -> PathBuf {
    tool_in(root, "forge")
}

/// The repository this crate was built from (the binaries were installed there).
pub fn build_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn tool_in(root: &Path, tool: &str) -> PathBuf {
    let modules = root.join("node_modules");
    if let Some(platform) = npm_platform() {
        let native = modules.join(format!("@foundry-rs/{tool}-{platform}/bin/{tool}"));
        if native.is_file() {
            return native;
        }
    }
    modules.join(".bin").join(tool)
}

/// The suffix of Foundry's per-platform npm packages for this machine.
fn npm_platform() -> Option<String> {
    let os = match std::env::consts::OS {
        "linux" => "linux",
        "macos" => "darwin",
        _ => return None,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        _ => return None,
    };
    Some(format!("{os}-{arch}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_the_native_binary_installed_by_setup() {
        let anvil = anvil_in(&build_root());
        assert!(
            anvil.is_file(),
            "{} missing: run `make setup`",
            anvil.display()
        );
        assert!(
            !anvil.ends_with(".bin/anvil"),
            "the native binary, not the node wrapper: {}",
            anvil.display()
        );
    }

    #[test]
    fn falls_back_to_the_npm_wrapper() {
        let empty = Path::new("/nonexistent-root");
        assert_eq!(anvil_in(empty), empty.join("node_modules/.bin/anvil"));
    }
}
