//! The relayer API: jobs in, their state out.
