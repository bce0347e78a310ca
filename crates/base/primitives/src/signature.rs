//! Signatures of 32-byte digests (the EIP-712 digests of [`crate::typed_data`]), held to the same
//! strict rules as the contracts' `SignatureVerifier`: 65 bytes `r || s || v`, `v` in {27, 28},
//! `s` in the lower half of the curve order, never recovering to no key. Checking the same rules
//! off chain means an agent never accepts (or relays) a signature the contracts would refuse.

use alloy::{
    primitives::{uint, Address, Signature, B256, U256},
    signers::{local::PrivateKeySigner, SignerSync},
};

/// Length of an encoded signature.
pub const SIGNATURE_BYTES: usize = 65;

/// Half the secp256k1 group order: the largest `s` a canonical signature carries.
const HALF_ORDER: U256 =
    uint!(0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0_U256);

/// Why a signature could not be made or was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// Not 65 bytes.
    #[error("signature is {0} bytes, expected {SIGNATURE_BYTES}")]
    Length(usize),
    /// `s` in the upper half of the order: the malleated twin of a valid signature.
    #[error("signature has a high s value (malleable)")]
    Malleable,
    /// `v` other than 27 or 28.
    #[error("signature v is {0}, expected 27 or 28")]
    InvalidV(u8),
    /// The signature does not recover to any key.
    #[error("signature does not recover to a key")]
    Unrecoverable,
    /// The signer failed.
    #[error("signing failed: {0}")]
    Signing(#[from] alloy::signers::Error),
}

/// Signs `digest` as is (no prefix), returning `r || s || v` with `v` in {27, 28} and low `s`.
pub fn sign_digest(
    signer: &PrivateKeySigner,
    digest: B256,
) -> Result<[u8; SIGNATURE_BYTES], SignatureError> {
    let signature = signer.sign_hash_sync(&digest)?;
    // The contracts refuse high-s signatures; normalize rather than trust the backend's choice.
    let signature = signature.normalize_s().unwrap_or(signature);
    Ok(signature.as_bytes())
}

/// The signature's `r`, `s` and `y` parity once its form passes the contracts' rules (65 bytes,
/// low `s`, `v` in {27, 28}); what it signed is not looked at.
pub fn check_canonical(signature: &[u8]) -> Result<Signature, SignatureError> {
    let bytes: &[u8; SIGNATURE_BYTES] = signature
        .try_into()
        .map_err(|_| SignatureError::Length(signature.len()))?;
    let r = U256::from_be_slice(&bytes[..32]);
    let s = U256::from_be_slice(&bytes[32..64]);
    if s > HALF_ORDER {
        return Err(SignatureError::Malleable);
    }
    let y_parity = match bytes[64] {
        27 => false,
        28 => true,
        v => return Err(SignatureError::InvalidV(v)),
    };
    Ok(Signature::new(r, s, y_parity))
}

/// The address that signed `digest` with `signature`, under the contracts' strict rules.
pub fn recover_digest(digest: B256, signature: &[u8]) -> Result<Address, SignatureError> {
    check_canonical(signature)?
        .recover_address_from_prehash(&digest)
        .map_err(|_| SignatureError::Unrecoverable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::keccak256;

    const SECP256K1_ORDER: U256 =
        uint!(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256);

    fn signer() -> PrivateKeySigner {
        // Anvil's first development key: public knowledge, test use only.
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
            .parse()
            .expect("valid key")
    }

    #[test]
    fn signatures_are_canonical_and_recover() {
        let signer = signer();
        for i in 0u8..32 {
            let hash = keccak256([i]);
            let signature = sign_digest(&signer, hash).expect("signs");
            assert!(matches!(signature[64], 27 | 28));
            assert!(U256::from_be_slice(&signature[32..64]) <= HALF_ORDER);
            assert_eq!(
                recover_digest(hash, &signature).expect("recovers"),
                signer.address()
            );
        }
    }

    #[test]
    fn malleated_twin_is_refused() {
        let hash = keccak256(b"update");
        let mut signature = sign_digest(&signer(), hash).expect("signs");
        let s = U256::from_be_slice(&signature[32..64]);
        signature[32..64].copy_from_slice(&(SECP256K1_ORDER - s).to_be_bytes::<32>());
        signature[64] = if signature[64] == 27 { 28 } else { 27 };
        assert!(matches!(
            recover_digest(hash, &signature),
            Err(SignatureError::Malleable)
        ));
    }

    #[test]
    fn malformed_signatures_are_refused() {
        let hash = keccak256(b"update");
        let mut signature = sign_digest(&signer(), hash).expect("signs");
        assert!(matches!(
            recover_digest(hash, &signature[..64]),
            Err(SignatureError::Length(64))
        ));
        signature[64] = 1;
        assert!(matches!(
            recover_digest(hash, &signature),
            Err(SignatureError::InvalidV(1))
        ));
    }
}
