//! The optimistic-messaging message: what `Home.dispatch` commits to and `Replica.process`
//! delivers.
//!
//! Wire format, tightly packed and big-endian (Solidity `abi.encodePacked`):
//! `origin u32 | sender bytes32 | nonce u32 | destination u32 | recipient bytes32 | body`.

use crate::Domain;
use alloy::primitives::{keccak256, Bytes, B256};
use std::ops::Deref;

/// Length of the fixed part of an encoded message: 4 + 32 + 4 + 4 + 32.
pub const MESSAGE_HEADER_BYTES: usize = 76;

/// Largest body `Home.dispatch` accepts; bounds what a relayer must pay to process a message.
pub const MAX_MESSAGE_BODY_BYTES: usize = 2048;

/// Why bytes are not a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Shorter than the fixed header.
    #[error("message is {len} bytes, shorter than its {MESSAGE_HEADER_BYTES}-byte header")]
    TooShort {
        /// Length of the input.
        len: usize,
    },
    /// The body exceeds [`MAX_MESSAGE_BODY_BYTES`].
    #[error("message body is {len} bytes, more than the {MAX_MESSAGE_BODY_BYTES} allowed")]
    BodyTooLarge {
        /// Length of the body.
        len: usize,
    },
}

/// A message body, at most [`MAX_MESSAGE_BODY_BYTES`] long: holding one means the size check has
/// been done, so a [`Message`] always encodes to something the contracts accept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MessageBody(Bytes);

impl MessageBody {
    /// Checks the size bound.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, MessageError> {
        let bytes = bytes.into();
        if bytes.len() > MAX_MESSAGE_BODY_BYTES {
            return Err(MessageError::BodyTooLarge { len: bytes.len() });
        }
        Ok(Self(bytes))
    }

    /// The body's bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for MessageBody {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// One crosschain message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Message {
    /// Domain of the `Home` that dispatched it.
    pub origin: Domain,
    /// The dispatching contract, as `bytes32`.
    pub sender: B256,
    /// Position in the origin's stream of messages to `destination`.
    pub nonce: u32,
    /// Domain whose `Replica` delivers it.
    pub destination: Domain,
    /// The receiving contract, as `bytes32`.
    pub recipient: B256,
    /// Application payload.
    pub body: MessageBody,
}

impl Message {
    /// The packed encoding the contracts hash and deliver.
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(MESSAGE_HEADER_BYTES + self.body.len());
        out.extend_from_slice(&self.origin.get().to_be_bytes());
        out.extend_from_slice(self.sender.as_slice());
        out.extend_from_slice(&self.nonce.to_be_bytes());
        out.extend_from_slice(&self.destination.get().to_be_bytes());
        out.extend_from_slice(self.recipient.as_slice());
        out.extend_from_slice(&self.body);
        out.into()
    }

    /// Parses the packed encoding.
    pub fn decode(bytes: &[u8]) -> Result<Self, MessageError> {
        let too_short = MessageError::TooShort { len: bytes.len() };
        let mut reader = Reader(bytes);
        let origin = reader.u32().ok_or(too_short)?;
        let sender = reader.b256().ok_or(too_short)?;
        let nonce = reader.u32().ok_or(too_short)?;
        let destination = reader.u32().ok_or(too_short)?;
        let recipient = reader.b256().ok_or(too_short)?;
        Ok(Self {
            origin: Domain(origin),
            sender,
            nonce,
            destination: Domain(destination),
            recipient,
            body: MessageBody::new(Bytes::copy_from_slice(reader.0))?,
        })
    }

    /// The Merkle leaf `Home` inserts for this message: `keccak256(encode())`.
    pub fn leaf(&self) -> B256 {
        keccak256(self.encode())
    }
}

/// Reads big-endian fields off the front of a byte slice.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (field, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*field)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_be_bytes)
    }

    fn b256(&mut self) -> Option<B256> {
        self.take().map(B256::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{b256, hex};

    fn sample(body: &[u8]) -> Message {
        Message {
            origin: Domain(1000),
            sender: b256!("0x000000000000000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            nonce: 7,
            destination: Domain(2000),
            recipient: b256!("0x000000000000000000000000bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
            body: MessageBody::new(body.to_vec()).expect("small body"),
        }
    }

    #[test]
    fn encoding_is_packed_big_endian() {
        let encoded = sample(&[0xde, 0xad]).encode();
        let expected = hex!(
            "000003e8"
            "000000000000000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            "00000007"
            "000007d0"
            "000000000000000000000000bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
            "dead"
        );
        assert_eq!(encoded.as_ref(), expected.as_slice());
        assert_eq!(encoded.len(), MESSAGE_HEADER_BYTES + 2);
    }

    #[test]
    fn decode_inverts_encode() {
        for body_len in [0, 1, 31, 32, 33, MAX_MESSAGE_BODY_BYTES] {
            let message = sample(&vec![0x5a; body_len]);
            assert_eq!(Message::decode(&message.encode()), Ok(message));
        }
    }

    #[test]
    fn short_input_is_refused() {
        let encoded = sample(&[]).encode();
        assert_eq!(
            Message::decode(&encoded[..MESSAGE_HEADER_BYTES - 1]),
            Err(MessageError::TooShort {
                len: MESSAGE_HEADER_BYTES - 1
            })
        );
    }

    #[test]
    fn oversized_body_is_refused() {
        let too_large = MAX_MESSAGE_BODY_BYTES + 1;
        assert_eq!(
            MessageBody::new(vec![0; too_large]),
            Err(MessageError::BodyTooLarge { len: too_large })
        );
        let mut encoded = sample(&[]).encode().to_vec();
        encoded.extend(std::iter::repeat_n(0, too_large));
        assert_eq!(
            Message::decode(&encoded),
            Err(MessageError::BodyTooLarge { len: too_large })
        );
    }

    #[test]
    fn leaf_is_keccak_of_encoding() {
        let message = sample(b"hello");
        assert_eq!(message.leaf(), keccak256(message.encode()));
    }
}
