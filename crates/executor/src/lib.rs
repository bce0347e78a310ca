//! The slow-path executor: executes reconciled transfers that no router served.
