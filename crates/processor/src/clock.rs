//! The destination's clock as the processor sees it: the newest block's timestamp, and the
//! timestamp the next block is expected to carry, so a root can be delivered in the very block
//! it becomes acceptable rather than one block later.

/// Follows a chain's heads to estimate its block interval.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BlockClock {
    /// The newest head seen: (number, timestamp).
    last: Option<(u64, u64)>,
    /// The newest estimate of the seconds between blocks.
    interval: Option<u64>,
}

impl BlockClock {
    /// Records the head `number` with `timestamp`; returns the timestamp expected of the next
    /// block (the head's own while nothing is known of the interval).
    pub(crate) fn next_timestamp(&mut self, number: u64, timestamp: u64) -> u64 {
        if let Some((last_number, last_timestamp)) = self.last {
            if number > last_number && timestamp >= last_timestamp {
                // At least a second: timestamps are whole seconds and strictly increase.
                let interval = (timestamp - last_timestamp) / (number - last_number);
                self.interval = Some(interval.max(1));
            }
        }
        self.last = Some((number, timestamp));
        timestamp.saturating_add(self.interval.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expects_the_next_block_one_interval_later() {
        let mut clock = BlockClock::default();
        assert_eq!(clock.next_timestamp(10, 100), 100, "nothing known yet");
        assert_eq!(clock.next_timestamp(12, 104), 106, "two seconds a block");
        assert_eq!(clock.next_timestamp(12, 104), 106, "the same head again");
        assert_eq!(
            clock.next_timestamp(14, 104),
            105,
            "sub-second blocks count as one"
        );
        assert_eq!(
            clock.next_timestamp(9, 90),
            91,
            "a lagging endpoint keeps the estimate"
        );
    }
}
