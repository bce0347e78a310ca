//! The relayer: an HTTP service that submits execute and process transactions.
