//! The run folder: logs, generated configs and the manifest of one devnet run.
//!
//! Chains start empty every run, so anything left from an earlier run (an agent's database, an old
//! manifest) would describe chains that no longer exist: the folder is emptied at start. To make sure
//! that only ever empties a devnet's own folder, a folder is used only if it is new, empty, or holds the
//! `devnet.lock` file an earlier run left; the lock also keeps two devnets out of one folder.
//!
//! The lock is held by the devnet process alone (children do not inherit it), so it is free again the
//! moment that process dies, however it died. Its children should have died with it (see
//! [`crate::process`]), but before emptying the folder a new devnet makes sure: every process still
//! carrying this folder in [`RunDir::OWNER_ENV`] is stopped (SIGTERM, then SIGKILL after a grace period),
//! so no chain or agent of a dead run keeps running beside the new one, writing into the folder it
//! empties. Processes are found through `/proc` (Linux); elsewhere this check finds nothing.

mod leftovers;

use std::{
    fs::{File, OpenOptions, TryLockError},
    io::{self, Write},
    path::{Path, PathBuf},
};

/// The file that marks a folder as a devnet's and is locked while a devnet uses it.
pub const LOCK_FILE: &str = "devnet.lock";

/// Why the run folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    /// A folder with other content than a devnet's.
    #[error(
        "{0} is not empty and is not a devnet run folder (no {LOCK_FILE}); choose another --run-dir"
    )]
    Foreign(PathBuf),
    /// Another devnet holds the lock: it is refused, not taken over.
    #[error("another devnet{} is running in {path}; stop it first or choose another --run-dir", .pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default())]
    InUse {
        /// The folder.
        path: PathBuf,
        /// The running devnet's process id, as its lock file records it.
        pid: Option<u32>,
    },
    /// A file operation failed.
    #[error("{path}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

/// A locked, emptied run folder. The lock is released when this is dropped.
#[derive(Debug)]
pub struct RunDir {
    path: PathBuf,
    _lock: File,
}

impl RunDir {
    /// The environment variable every child of a devnet carries: the absolute path of its run folder.
    /// It is inherited by the children's own children (the real anvil under its Node wrapper), so it
    /// finds everything a devnet started.
    pub const OWNER_ENV: &'static str = "NXTP_DEVNET_RUN_DIR";

    /// Creates (or takes over and empties) the run folder at `path`, first stopping whatever a dead
    /// devnet left running there.
    pub fn prepare(path: &Path) -> Result<Self, RunDirError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| RunDirError::Io { path, source }
        };
        std::fs::create_dir_all(path).map_err(io(path))?;
        let path = path.canonicalize().map_err(io(path))?;
        let lock_path = path.join(LOCK_FILE);
        let ours = lock_path.exists();
        if !ours
            && std::fs::read_dir(&path)
                .map_err(io(&path))?
                .next()
                .is_some()
        {
            return Err(RunDirError::Foreign(path));
        }
        let mut lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let pid = std::fs::read_to_string(&lock_path)
                    .ok()
                    .and_then(|text| text.trim().parse().ok());
                return Err(RunDirError::InUse { path, pid });
            }
            Err(TryLockError::Error(source)) => {
                return Err(RunDirError::Io {
                    path: lock_path,
                    source,
                })
            }
        }
        let stopped = leftovers::stop(&path);
        if !stopped.is_empty() {
            tracing::warn!(
                run_dir = %path.display(),
                pids = ?stopped,
                "stopped processes an earlier devnet left running in this run folder"
            );
        }
        for entry in std::fs::read_dir(&path).map_err(io(&path))? {
            let entry = entry.map_err(io(&path))?;
            if entry.file_name() == LOCK_FILE {
                continue;
            }
            let entry_path = entry.path();
            let removed = if entry.file_type().map_err(io(&entry_path))?.is_dir() {
                std::fs::remove_dir_all(&entry_path)
            } else {
                std::fs::remove_file(&entry_path)
            };
            removed.map_err(io(&entry_path))?;
        }
        lock.set_len(0).map_err(io(&lock_path))?;
        writeln!(lock, "{}", std::process::id()).map_err(io(&lock_path))?;
        Ok(Self { path, _lock: lock })
    }

    /// The folder's absolute path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_folder_is_created_and_locked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("run/devnet");
        let run = RunDir::prepare(&path).expect("prepare");
        assert!(run.path().is_absolute());
        assert!(run.path().join(LOCK_FILE).is_file());
        let refused = RunDir::prepare(&path).expect_err("in use");
        assert!(
            matches!(&refused, RunDirError::InUse { pid: Some(pid), .. } if *pid == std::process::id()),
            "{refused:?}"
        );
        assert!(refused
            .to_string()
            .contains(&format!("another devnet (pid {})", std::process::id())));
        drop(run);
        RunDir::prepare(&path).expect("free again once the first is dropped");
    }

    #[test]
    fn an_earlier_run_is_cleared() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(RunDir::prepare(dir.path()).expect("first run"));
        std::fs::write(dir.path().join("manifest.json"), "{}").expect("write");
        std::fs::create_dir(dir.path().join("updater-db")).expect("mkdir");
        let run = RunDir::prepare(dir.path()).expect("second run");
        let left: Vec<_> = std::fs::read_dir(run.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(left, [LOCK_FILE]);
    }

    #[test]
    fn a_foreign_folder_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("thesis.tex"), "precious").expect("write");
        assert!(matches!(
            RunDir::prepare(dir.path()),
            Err(RunDirError::Foreign(_))
        ));
        assert!(dir.path().join("thesis.tex").exists());
    }
}
