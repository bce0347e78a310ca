//! When a block is final: a chain's finality assumption and the newest block it makes final.
//!
//! Confirmations say when an agent may act on a block cheaply and usually safely; finality says
//! when no reorg can take the block back. What cannot be undone by anyone — a root the updater
//! signs, which every Replica of the origin will trust once its window passes — waits for
//! finality.

use alloy::{
    eips::BlockNumberOrTag,
    providers::{DynProvider, Provider},
    transports::TransportError,
};
use serde::{Deserialize, Serialize};

/// A chain's finality assumption, as written in an agent's chain config.
///
/// ```toml
/// finality = "finalized"     # the node's `finalized` block (Ethereum and its rollups have one)
/// finality = { depth = 64 }  # a chain without one: this many blocks built on top
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Finality {
    /// The block the node reports under the `finalized` tag.
    #[default]
    Finalized,
    /// A block with at least this many blocks built on top of it: the deployment's declared
    /// assumption for a chain whose node has no `finalized` tag.
    Depth(u64),
}

/// The newest final block could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FinalityError {
    /// The RPC request failed.
    #[error("reading the {what} block failed: {source}")]
    Rpc {
        /// Which block was asked for.
        what: &'static str,
        /// The transport's error, with the endpoint's URL removed.
        #[source]
        source: TransportError,
    },
}

impl Finality {
    /// The newest final block's number, or `None` while the chain has none yet (a young chain,
    /// or a depth greater than the head).
    pub async fn final_block(&self, provider: &DynProvider) -> Result<Option<u64>, FinalityError> {
        match *self {
            Self::Finalized => {
                let block = provider
                    .get_block_by_number(BlockNumberOrTag::Finalized)
                    .await
                    .map_err(|err| FinalityError::Rpc {
                        what: "finalized",
                        source: crate::provider::without_url(err),
                    })?;
                Ok(block.map(|block| block.header.number))
            }
            Self::Depth(depth) => {
                let head = provider
                    .get_block_number()
                    .await
                    .map_err(|err| FinalityError::Rpc {
                        what: "latest",
                        source: crate::provider::without_url(err),
                    })?;
                Ok(head.checked_sub(depth))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config table holding the field.
    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Wrapper {
        finality: Finality,
    }

    #[test]
    fn reads_both_toml_forms_and_refuses_others() {
        let parse = |text: &str| toml::from_str::<Wrapper>(text).map(|w| w.finality);
        assert_eq!(
            parse("finality = \"finalized\"").expect("tag"),
            Finality::Finalized
        );
        assert_eq!(
            parse("finality = { depth = 64 }").expect("depth"),
            Finality::Depth(64)
        );
        assert!(parse("finality = \"safe\"").is_err());
        assert!(parse("finality = { depth = -1 }").is_err());
        assert!(parse("finality = { depth = 3, extra = 1 }").is_err());
    }

    #[test]
    fn round_trips_as_written() {
        for finality in [Finality::Finalized, Finality::Depth(12)] {
            let json = serde_json::to_string(&Wrapper { finality }).expect("serializes");
            assert_eq!(
                serde_json::from_str::<Wrapper>(&json)
                    .expect("parses")
                    .finality,
                finality
            );
        }
    }
}
