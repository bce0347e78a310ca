//! Keeping private keys out of messages: a secp256k1 key is 64 hex digits, so any run of 64 or
//! more hex digits in text that may echo what a user typed (an environment variable's name, a
//! config value, a command-line argument) is replaced before it is shown.
//!
//! ```
//! use nxtp_primitives::redact_keys;
//!
//! let key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
//! assert_eq!(
//!     redact_keys(&format!("environment variable 0x{key} is not set")),
//!     "environment variable <redacted 64 hex digits> is not set"
//! );
//! assert_eq!(redact_keys("domain 1000"), "domain 1000");
//! ```

use std::borrow::Cow;

/// The shortest run of hex digits treated as a possible key.
pub const KEY_HEX_DIGITS: usize = 64;

/// Whether `text` holds a run of at least [`KEY_HEX_DIGITS`] hex digits.
pub fn looks_like_key(text: &str) -> bool {
    let mut run = 0;
    for byte in text.bytes() {
        run = if byte.is_ascii_hexdigit() { run + 1 } else { 0 };
        if run >= KEY_HEX_DIGITS {
            return true;
        }
    }
    false
}

/// `text` with every run of at least [`KEY_HEX_DIGITS`] hex digits (and its `0x` prefix)
/// replaced by `<redacted N hex digits>`; borrowed when there is none.
pub fn redact_keys(text: &str) -> Cow<'_, str> {
    if !looks_like_key(text) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_hexdigit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_hexdigit() {
            i += 1;
        }
        let digits = i - start;
        if digits < KEY_HEX_DIGITS {
            continue;
        }
        // `0x` + digits: the run starts with `0` and the `x` splits it; take the prefix along.
        let prefixed = start >= 2 && bytes[start - 1] == b'x' && bytes[start - 2] == b'0';
        let begin = if prefixed { start - 2 } else { start };
        // Only ASCII bytes were inspected, so `begin` and `i` are character boundaries.
        out.push_str(&text[copied..begin]);
        out.push_str(&format!("<redacted {digits} hex digits>"));
        copied = i;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    #[test]
    fn redacts_every_key_shaped_run_and_nothing_else() {
        let text = format!("a {KEY}, b 0x{KEY}0 and 0x1234 or \u{e9}{KEY}");
        let redacted = redact_keys(&text);
        assert!(!redacted.contains(&KEY[..16]), "{redacted}");
        assert_eq!(
            redacted,
            "a <redacted 64 hex digits>, b <redacted 65 hex digits> and 0x1234 or \
             \u{e9}<redacted 64 hex digits>"
        );
        assert!(looks_like_key(KEY) && !looks_like_key(&KEY[1..]));
        let short = format!("0x{}", &KEY[..63]);
        assert!(matches!(redact_keys(&short), Cow::Borrowed(_)));
    }
}
