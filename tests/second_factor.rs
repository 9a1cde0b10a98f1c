//! The tests' authenticator app: enrols a user's second factor when the portal asks
//! for it, and answers the code step of a sign-in, so that every journey signing in
//! an admin, an agent or a gestionnaire goes through the real second factor (no
//! bypass in the portal). Codes are computed here, independently of the portal's
//! code (RFC 6238 with HMAC-SHA1 from the `hmac`/`sha1` crates, base 32 by hand).

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{KeyInit, Mac};

/// A fixed key for the tests' configuration (`EP_TOTP_KEY`).
pub const TEST_TOTP_KEY: &str = "dGVzdC1rZXktZm9yLXRoZS1zZWNvbmQtZmFjdG9yISE=";

/// What the "app" holds for one identifiant.
#[derive(Clone, Debug, Default)]
pub struct Factor {
    pub secret: Vec<u8>,
    /// The last time step this app gave a code for (the portal refuses replays).
    pub last_step: u64,
    pub recovery_codes: Vec<String>,
}

/// The factors enrolled through the helpers, by identifiant (lower case).
#[derive(Default)]
pub struct Authenticator(pub Mutex<HashMap<String, Factor>>);

impl Authenticator {
    pub fn get(&self, ident: &str) -> Option<Factor> {
        self.0
            .lock()
            .ok()
            .and_then(|m| m.get(&ident.to_ascii_lowercase()).cloned())
    }
    pub fn set(&self, ident: &str, f: Factor) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(ident.to_ascii_lowercase(), f);
        }
    }
    pub fn forget(&self, ident: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(&ident.to_ascii_lowercase());
        }
    }
}

/// Decodes RFC 4648 base 32 (spaces and padding ignored, any case).
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase() as u8)?;
        bits = (bits << 5) | v as u64;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}

/// The 6-digit code of time step `step` (RFC 6238 / RFC 4226 dynamic truncation).
pub fn code_at_step(secret: &[u8], step: u64) -> String {
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret).expect("hmac key");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", bin % 1_000_000)
}

/// The time step of `now` (30 s).
pub fn step_of(now: jiff::Timestamp) -> u64 {
    now.as_second() as u64 / 30
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vectors_and_base32() {
        let secret = b"12345678901234567890";
        assert_eq!(code_at_step(secret, 59 / 30), "287082");
        assert_eq!(code_at_step(secret, 1_111_111_109 / 30), "081804");
        assert_eq!(
            base32_decode("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ").unwrap(),
            secret.to_vec()
        );
    }
}
