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
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A pseudonymous id for the audit trail of a purged account (stable, not reversible
/// without the id itself).
pub fn pseudonym(id: &str) -> String {
    format!("anon-{}", &token_hash(id)[..16])
}
