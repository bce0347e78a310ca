//! Domains as tests write them.

use nxtp_primitives::Domain;

/// A domain: a [`Domain`], or its number, so a test may write `net.home(1000)`.
pub trait AsDomain {
    /// The domain.
    fn domain(self) -> Domain;
}

impl AsDomain for Domain {
    fn domain(self) -> Domain {
        self
    }
}

impl AsDomain for u32 {
    fn domain(self) -> Domain {
        Domain(self)
    }
}

/// What an untyped integer literal becomes, so `net.home(1000)` needs no suffix.
impl AsDomain for i32 {
    fn domain(self) -> Domain {
        Domain(u32::try_from(self).expect("a domain number is not negative"))
    }
}
