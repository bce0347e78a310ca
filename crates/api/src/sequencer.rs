//! The sequencer API: quotes, bids in, auction state out.
