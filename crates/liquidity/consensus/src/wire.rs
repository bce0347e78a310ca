//! The node's own binary encoding: length-prefixed, big-endian, versioned by its users.
//!
//! Every honest node must hash a value to the same id, so the encoding is canonical (one byte
//! string per value, no maps, no optional padding) and stable across builds. Decoding refuses
//! trailing bytes and lengths longer than what is left, so a peer cannot make a node allocate
//! more than the message it sent.

use alloy::primitives::{Address, Bytes, B256, U256};

/// Why bytes did not decode.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    /// The input ended before the value did.
    #[error("input ends early: needed {needed} more bytes, {left} left")]
    Truncated {
        /// Bytes the next field needs.
        needed: usize,
        /// Bytes left.
        left: usize,
    },
    /// Bytes were left after the value.
    #[error("{0} trailing bytes after the value")]
    Trailing(usize),
    /// A tag or field held a value this build does not know.
    #[error("invalid {what}: {detail}")]
    Invalid {
        /// Which field.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl WireError {
    /// An invalid field.
    pub fn invalid(what: &'static str, detail: impl ToString) -> Self {
        Self::Invalid {
            what,
            detail: detail.to_string(),
        }
    }
}

/// Appends encoded fields to a buffer.
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// One byte.
    pub fn u8(&mut self, value: u8) {
        self.buf.push(value);
    }

    /// A flag, as one byte 0 or 1.
    pub fn bool(&mut self, value: bool) {
        self.u8(u8::from(value));
    }

    /// A big-endian `u32`.
    pub fn u32(&mut self, value: u32) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    /// A big-endian `u64`.
    pub fn u64(&mut self, value: u64) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    /// A big-endian `i64`.
    pub fn i64(&mut self, value: i64) {
        self.buf.extend_from_slice(&value.to_be_bytes());
    }

    /// Bytes whose length the reader knows.
    pub fn fixed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes prefixed by their length.
    ///
    /// # Panics
    /// Never for the messages of this crate: none comes near 4 GiB.
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.count(bytes.len());
        self.fixed(bytes);
    }

    /// A count or length, as a `u32` (saturating: such a message is refused by every reader).
    pub fn count(&mut self, len: usize) {
        self.u32(u32::try_from(len).unwrap_or(u32::MAX));
    }

    /// A sequence, prefixed by its count.
    pub fn seq<T: Wire>(&mut self, items: &[T]) {
        self.count(items.len());
        for item in items {
            item.encode(self);
        }
    }
}

/// Reads encoded fields from a byte slice.
#[derive(Debug)]
pub struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    /// Fails unless every byte was read.
    pub fn finish(self) -> Result<(), WireError> {
        if self.input.is_empty() {
            Ok(())
        } else {
            Err(WireError::Trailing(self.input.len()))
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.input.len() < n {
            return Err(WireError::Truncated {
                needed: n,
                left: self.input.len(),
            });
        }
        let (head, tail) = self.input.split_at(n);
        self.input = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }

    /// A flag: one byte 0 or 1, anything else refused (one encoding per value).
    pub fn bool(&mut self) -> Result<bool, WireError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(WireError::invalid("bool", other)),
        }
    }

    /// A big-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A big-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A big-endian `i64`.
    pub fn i64(&mut self) -> Result<i64, WireError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// A count or length, no larger than the bytes left (every item takes at least one byte).
    pub fn count(&mut self) -> Result<usize, WireError> {
        let len = usize::try_from(self.u32()?).map_err(|err| WireError::invalid("length", err))?;
        if len > self.input.len() {
            return Err(WireError::Truncated {
                needed: len,
                left: self.input.len(),
            });
        }
        Ok(len)
    }

    /// Bytes prefixed by their length.
    pub fn bytes(&mut self) -> Result<&'a [u8], WireError> {
        let len = self.count()?;
        self.take(len)
    }

    /// A sequence prefixed by its count.
    pub fn seq<T: Wire>(&mut self) -> Result<Vec<T>, WireError> {
        let count = self.count()?;
        let mut items = Vec::with_capacity(preallocated::<T>(count, self.input.len()));
        for _ in 0..count {
            items.push(T::decode(self)?);
        }
        Ok(items)
    }
}

/// How many items of a sequence of `count` to reserve room for when `left` bytes remain. The
/// count is only checked against the bytes left (every item takes at least one), while an item
/// takes `size_of::<T>()` in memory, up to 200 bytes: reserving `count` items would let a
/// peer make a node reserve that many times its message. Reserving no more than the bytes left
/// keeps it to the message's size; a longer sequence grows as its items actually decode.
fn preallocated<T>(count: usize, left: usize) -> usize {
    count.min(left / size_of::<T>().max(1))
}

/// A type with a canonical encoding.
pub trait Wire: Sized {
    /// Appends the encoding of `self`.
    fn encode(&self, out: &mut Writer);

    /// Reads one value.
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError>;

    /// The encoding alone.
    fn to_wire(&self) -> Vec<u8> {
        let mut out = Writer::new();
        self.encode(&mut out);
        out.into_bytes()
    }

    /// Decodes exactly one value from `bytes`.
    fn from_wire(bytes: &[u8]) -> Result<Self, WireError> {
        let mut input = Reader::new(bytes);
        let value = Self::decode(&mut input)?;
        input.finish()?;
        Ok(value)
    }
}

impl Wire for u32 {
    fn encode(&self, out: &mut Writer) {
        out.u32(*self);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        input.u32()
    }
}

impl Wire for u64 {
    fn encode(&self, out: &mut Writer) {
        out.u64(*self);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        input.u64()
    }
}

impl Wire for Address {
    fn encode(&self, out: &mut Writer) {
        out.fixed(self.as_slice());
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self::from(input.array::<20>()?))
    }
}

impl Wire for B256 {
    fn encode(&self, out: &mut Writer) {
        out.fixed(self.as_slice());
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self::from(input.array::<32>()?))
    }
}

impl Wire for U256 {
    fn encode(&self, out: &mut Writer) {
        out.fixed(&self.to_be_bytes::<32>());
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self::from_be_bytes(input.array::<32>()?))
    }
}

impl Wire for Bytes {
    fn encode(&self, out: &mut Writer) {
        out.bytes(self);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self::copy_from_slice(input.bytes()?))
    }
}

impl<T: Wire> Wire for Option<T> {
    fn encode(&self, out: &mut Writer) {
        match self {
            None => out.u8(0),
            Some(value) => {
                out.u8(1);
                value.encode(out);
            }
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        match input.u8()? {
            0 => Ok(None),
            1 => Ok(Some(T::decode(input)?)),
            tag => Err(WireError::invalid("option tag", tag)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_round_trip_and_refuse_bad_input() {
        let mut out = Writer::new();
        out.u64(7);
        Address::repeat_byte(3).encode(&mut out);
        U256::from(99).encode(&mut out);
        Bytes::from_static(b"abc").encode(&mut out);
        Some(B256::repeat_byte(1)).encode(&mut out);
        let bytes = out.into_bytes();
        let mut input = Reader::new(&bytes);
        assert_eq!(input.u64(), Ok(7));
        assert_eq!(Address::decode(&mut input), Ok(Address::repeat_byte(3)));
        assert_eq!(U256::decode(&mut input), Ok(U256::from(99)));
        assert_eq!(Bytes::decode(&mut input), Ok(Bytes::from_static(b"abc")));
        assert_eq!(
            Option::<B256>::decode(&mut input),
            Ok(Some(B256::repeat_byte(1)))
        );
        assert_eq!(input.finish(), Ok(()));

        assert!(matches!(
            u64::from_wire(&[0; 9]),
            Err(WireError::Trailing(1))
        ));
        assert!(matches!(
            u64::from_wire(&[0; 3]),
            Err(WireError::Truncated { .. })
        ));
        // A length larger than the input is refused before anything is allocated.
        assert!(matches!(
            Bytes::from_wire(&[0xff, 0xff, 0xff, 0xff]),
            Err(WireError::Truncated { .. })
        ));
        assert!(Option::<u32>::from_wire(&[2]).is_err());
    }

    /// Found by the `consensus` fuzz target's allocation budget: a sequence count of 7,900 in an
    /// 8,000-byte proposal part reserved 7,900 auctions (1.45 MB) before the first failed to decode.
    #[test]
    fn a_sequence_reserves_no_more_than_the_bytes_left() {
        type Large = [u8; 184];
        assert_eq!(preallocated::<Large>(7_900, 7_950), 7_950 / 184);
        assert!(preallocated::<Large>(7_900, 7_950) * size_of::<Large>() <= 7_950);
        assert_eq!(preallocated::<u8>(10, 50), 10);
        assert_eq!(preallocated::<()>(10, 50), 10);
        let mut input = vec![0, 0, 0x1e, 0xdc];
        input.resize(8_000, 0);
        assert!(matches!(
            Reader::new(&input).seq::<Bytes>(),
            Err(WireError::Truncated { .. })
        ));
    }
}
