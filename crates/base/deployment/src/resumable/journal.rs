//! The deployment journal: one JSON line per event, appended and synced before the deployer moves on, so
//! a deployment killed at any point can be resumed without sending a step twice.
//!
//! A step is recorded `sent` (its signed transaction, before it is handed to the node) and then `done`
//! (what it created, in which block). A resumed deployment skips a `done` step once the chain still shows
//! its receipt, and re-broadcasts a `sent` one (the same signed bytes: the node either knows it or mines
//! it once) instead of signing a new transaction.

use alloy::primitives::{Address, Bytes, B256};
use serde::{Deserialize, Serialize};
use std::{
    collections::BTreeMap,
    fs::{File, OpenOptions},
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    sync::Mutex,
};

/// Why the journal could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("journal {}: {reason}", path.display())]
pub struct JournalError {
    /// The journal file.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum Entry {
    /// The step's transaction was signed and is about to be handed to the node.
    Sent {
        /// `<domain>/<step>`.
        step: String,
        /// The transaction's hash.
        tx: B256,
        /// The signed transaction, for re-broadcasting.
        raw: Bytes,
    },
    /// The step's transaction was mined and succeeded.
    Done {
        /// `<domain>/<step>`.
        step: String,
        /// The transaction's hash.
        tx: B256,
        /// The contract it created, if it deployed one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        created: Option<Address>,
        /// The block it was mined in.
        block: u64,
    },
}

/// What the journal knows of one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepState {
    /// Signed, maybe broadcast, not known to be mined.
    Sent {
        /// The transaction's hash.
        tx: B256,
        /// The signed transaction.
        raw: Bytes,
    },
    /// Mined and successful.
    Done {
        /// The transaction's hash.
        tx: B256,
        /// The contract it created, if any.
        created: Option<Address>,
        /// The block it was mined in.
        block: u64,
    },
}

/// The journal file and what it says so far.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    steps: Mutex<BTreeMap<String, StepState>>,
}

impl Journal {
    /// Opens (or creates) the journal at `path` and reads what it holds. A last line cut short by a kill
    /// is ignored: its step is simply not recorded.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let error = |reason: String| JournalError {
            path: path.to_owned(),
            reason,
        };
        let mut steps = BTreeMap::new();
        if path.exists() {
            let file = File::open(path).map_err(|err| error(err.to_string()))?;
            let lines: Vec<String> = BufReader::new(file)
                .lines()
                .collect::<Result<_, _>>()
                .map_err(|err| error(err.to_string()))?;
            let last = lines.len().saturating_sub(1);
            for (number, line) in lines.iter().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let entry: Entry = match serde_json::from_str(line) {
                    Ok(entry) => entry,
                    Err(_) if number == last => break,
                    Err(err) => return Err(error(format!("line {}: {err}", number + 1))),
                };
                match entry {
                    Entry::Sent { step, tx, raw } => {
                        steps.insert(step, StepState::Sent { tx, raw });
                    }
                    Entry::Done {
                        step,
                        tx,
                        created,
                        block,
                    } => {
                        steps.insert(step, StepState::Done { tx, created, block });
                    }
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|err| error(err.to_string()))?;
        // A line torn by a kill is cut off, so the next entry starts a line of its own.
        let text = std::fs::read(path).map_err(|err| error(err.to_string()))?;
        if text.last().is_some_and(|&last| last != b'\n') {
            let whole = text
                .iter()
                .rposition(|&byte| byte == b'\n')
                .map_or(0, |newline| newline + 1);
            file.set_len(whole as u64)
                .map_err(|err| error(err.to_string()))?;
        }
        Ok(Self {
            path: path.to_owned(),
            file: Mutex::new(file),
            steps: Mutex::new(steps),
        })
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the journal knows of `step`.
    pub fn state(&self, step: &str) -> Option<StepState> {
        self.steps
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(step)
            .cloned()
    }

    /// Every step recorded done, with what it created.
    pub fn done(&self) -> BTreeMap<String, (B256, Option<Address>, u64)> {
        self.steps
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .filter_map(|(step, state)| match state {
                StepState::Done { tx, created, block } => {
                    Some((step.clone(), (*tx, *created, *block)))
                }
                StepState::Sent { .. } => None,
            })
            .collect()
    }

    /// Appends `entry` and syncs it to disk before returning.
    pub fn record(&self, entry: Entry) -> Result<(), JournalError> {
        let error = |reason: String| JournalError {
            path: self.path.clone(),
            reason,
        };
        let mut line = serde_json::to_string(&entry).map_err(|err| error(err.to_string()))?;
        line.push('\n');
        {
            let mut file = self
                .file
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            file.write_all(line.as_bytes())
                .and_then(|()| file.sync_data())
                .map_err(|err| error(err.to_string()))?;
        }
        let mut steps = self
            .steps
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match entry {
            Entry::Sent { step, tx, raw } => {
                steps.insert(step, StepState::Sent { tx, raw });
            }
            Entry::Done {
                step,
                tx,
                created,
                block,
            } => {
                steps.insert(step, StepState::Done { tx, created, block });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_wrote_and_ignores_a_torn_last_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("manifest.json.journal");
        let journal = Journal::open(&path).expect("open");
        journal
            .record(Entry::Sent {
                step: "1000/deploy Home".into(),
                tx: B256::repeat_byte(1),
                raw: Bytes::from_static(b"\x02"),
            })
            .expect("sent");
        journal
            .record(Entry::Done {
                step: "1000/deploy Home".into(),
                tx: B256::repeat_byte(1),
                created: Some(Address::repeat_byte(9)),
                block: 7,
            })
            .expect("done");
        journal
            .record(Entry::Sent {
                step: "1000/deposit the bond".into(),
                tx: B256::repeat_byte(2),
                raw: Bytes::from_static(b"\x03"),
            })
            .expect("sent");
        drop(journal);
        let mut file = OpenOptions::new().append(true).open(&path).expect("append");
        file.write_all(b"{\"event\":\"do").expect("torn line");

        let journal = Journal::open(&path).expect("reopen");
        assert_eq!(
            journal.state("1000/deploy Home"),
            Some(StepState::Done {
                tx: B256::repeat_byte(1),
                created: Some(Address::repeat_byte(9)),
                block: 7
            })
        );
        assert!(matches!(
            journal.state("1000/deposit the bond"),
            Some(StepState::Sent { .. })
        ));
        assert_eq!(journal.done().len(), 1);
        journal
            .record(Entry::Done {
                step: "1000/deposit the bond".into(),
                tx: B256::repeat_byte(2),
                created: None,
                block: 8,
            })
            .expect("done after a torn line");
        drop(journal);
        assert_eq!(Journal::open(&path).expect("third open").done().len(), 2);
    }
}
