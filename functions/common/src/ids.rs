//! Random identifiers and secret tokens.

use base64::Engine;
use sha2::{Digest, Sha256};

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    if getrandom::fill(&mut b).is_err() {
        // The OS random source failing is not recoverable safely.
        panic!("the operating system's random source is unavailable");
    }
    b
}

/// A new record id: 16 random bytes, lower-case hex (32 characters).
pub fn new_id() -> String {
    hex(&random_bytes::<16>())
}

/// A new secret token (256 bits, URL-safe base64), for links and sessions.
pub fn new_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What is stored of a token: its SHA-256, hex. A stolen table gives no usable token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// A pseudonymous id for the audit trail of a purged account (stable, not reversible
/// without the id itself).
pub fn pseudonym(id: &str) -> String {
    format!("anon-{}", &token_hash(id)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_writes_two_lowercase_digits_per_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        // The session key of a known token stays what it was (SHA-256 of "abc").
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
