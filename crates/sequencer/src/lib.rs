//! The sequencer: collects router bids, runs each transfer's auction and hands the execute to the relayer.
