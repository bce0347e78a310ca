//! What the messaging agents' binary tests share: the messaging net of `nxtp_testnet` laid out
//! as the devnet lays it out, and a reader for the agents' databases.

#![allow(dead_code, unreachable_pub)]

use nxtp_testnet::{Mining, Options};
use rusqlite::{Connection, OpenFlags};
use std::{path::Path, time::Duration};

// Each test binary uses its own part of the fixture.
#[allow(unused_imports)]
pub use nxtp_testnet::{assert_one_new_root_per_old_root, eventually, TestNet as Net, TIMEOUT};

/// `chains` anvils for domains 1000, 2000, … mining a block every 250 ms, with every messaging
/// contract deployed and the manifest written where the devnet writes it
/// (`<dir>/manifest.json`), so the devnet's generated agent configs apply as they are.
pub async fn start(chains: usize) -> Net {
    let options = Options::numbered(chains).mining(Mining::every_ms(250));
    Net::start(options).await.expect("the net starts")
}

/// Reads an agent's database without writing to it (no migrations: the agent owns it), with
/// `read`; `None` until the agent has created its tables.
pub fn read_db<T>(db: &Path, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.busy_timeout(Duration::from_secs(5))
        .expect("sets busy timeout");
    match read(&conn) {
        Ok(value) => Some(value),
        Err(err) if err.to_string().contains("no such table") => None,
        Err(err) => panic!("cannot read {}: {err}", db.display()),
    }
}
