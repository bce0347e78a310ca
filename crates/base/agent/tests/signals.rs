//! SIGTERM cancels the shutdown token instead of killing the process. In its own test binary
//! because it signals the whole process.

use std::{process::Command, time::Duration};

#[tokio::test]
async fn sigterm_cancels_the_token() {
    let token = nxtp_agent::shutdown::cancel_on_signal().expect("handlers install");
    assert!(!token.is_cancelled());
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -TERM {}", std::process::id()))
        .status()
        .expect("runs kill");
    assert!(status.success());
    tokio::time::timeout(Duration::from_secs(10), token.cancelled())
        .await
        .expect("token cancelled by SIGTERM");
}
