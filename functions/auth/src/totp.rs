//! The second factor's primitives (README « Second factor »): TOTP codes (RFC 6238,
//! HMAC-SHA1, 6 digits, 30 s, ±1 step) with `totp-rs`, the QR code drawn as SVG with
//! `qrcode`, the secret sealed at rest with ChaCha20-Poly1305 (the user's id as
//! associated data, so a sealed secret cannot be moved to another account), and the
//! single-use recovery codes (only their hashes are stored). No I/O here.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use ep_common::config::TotpKey;
use ep_common::ids::{random_bytes, token_hash};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Seconds per time step (RFC 6238's default, what every authenticator app uses).
pub const STEP_SECONDS: u64 = 30;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The name the authenticator apps show.
pub const ISSUER: &str = "Espace Partenaires";
/// Crockford's base 32, lower case: no i, l, o, u to misread.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A user's second factor as stored (item [`ep_common::users::second_factor_key`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecondFactor {
    pub user_id: String,
    /// base64 of nonce (12 bytes) ‖ ciphertext and tag of the 20-byte secret.
    pub sealed: String,
    /// False from the set-up until the first code confirms it.
    pub confirmed: bool,
    /// The last time step accepted: a code of this step or an older one is refused.
    #[serde(default)]
    pub last_step: u64,
    /// SHA-256 of each unused recovery code (with the user's id).
    #[serde(default)]
    pub recovery: Vec<String>,
    pub created_at: Timestamp,
    pub v: u64,
}

impl SecondFactor {
    pub fn item(&self) -> Result<ep_common::table::Item, ep_common::table::StoreError> {
        let (pk, sk) = ep_common::users::second_factor_key(&self.user_id);
        ep_common::table::Item::from_record(pk, sk, self)
    }
}
ep_common::versioned!(SecondFactor);

/// A new random secret (160 bits, RFC 4226's recommendation).
pub fn new_secret() -> [u8; 20] {
    random_bytes::<20>()
}

/// The secret as people type it into an app: base 32, in groups of four.
pub fn secret_text(secret: &[u8]) -> String {
    let b32 = totp_rs::Secret::from(secret.to_vec()).to_base32();
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Seals `secret` for `user_id`.
pub fn seal(key: &TotpKey, user_id: &str, secret: &[u8]) -> Result<String, String> {
    let cipher = ChaCha20Poly1305::new_from_slice(&key.0).map_err(|e| e.to_string())?;
    let nonce_bytes = random_bytes::<12>();
    let nonce = Nonce::from(nonce_bytes);
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: secret,
                aad: user_id.as_bytes(),
            },
        )
        .map_err(|e| e.to_string())?;
    let mut out = nonce_bytes.to_vec();
    out.extend(sealed);
    Ok(base64::engine::general_purpose::STANDARD_NO_PAD.encode(out))
}

/// Opens what [`seal`] sealed for `user_id` (`None`: another key, another user, or
/// altered).
pub fn open(key: &TotpKey, user_id: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(sealed)
        .ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, body) = bytes.split_at(12);
    let nonce = Nonce::from(<[u8; 12]>::try_from(nonce).ok()?);
    let cipher = ChaCha20Poly1305::new_from_slice(&key.0).ok()?;
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: body,
                aad: user_id.as_bytes(),
            },
        )
        .ok()
}

fn totp(secret: &[u8]) -> totp_rs::Totp {
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .with_step_duration(STEP_SECONDS)
        .with_skew(1)
        .with_digits(6)
        .build_noncompliant()
}

/// The time step a code matches at `now` (±1 step), if any. Only digits, 6 of
/// them (spaces are ignored).
pub fn matching_step(secret: &[u8], code: &str, now: Timestamp) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = u64::try_from(now.as_second()).ok()?;
    totp(secret).check(&code, secs)
}

/// The code of time step `step` (tests, and the RFC vectors).
pub fn code_at_step(secret: &[u8], step: u64) -> String {
    totp(secret).generate(step * STEP_SECONDS).to_string()
}

/// The `otpauth://` URI the QR code carries (Google Authenticator's key URI format).
pub fn otpauth_uri(secret: &[u8], account: &str) -> String {
    let b32 = totp_rs::Secret::from(secret.to_vec()).to_base32();
    let issuer = ISSUER.replace(' ', "%20");
    let account: String = account
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!(
        "otpauth://totp/{issuer}:{account}?secret={b32}&issuer={issuer}&algorithm=SHA1&digits=6&period={STEP_SECONDS}"
    )
}

/// The QR code of `uri`, as an inline SVG element (no XML declaration), with a text
/// alternative.
pub fn qr_svg(uri: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| e.to_string())?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg").ok_or("no svg element")?;
    Ok(svg[start..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR code à scanner avec votre application d'authentification\" ",
        1,
    ))
}

/// Ten new recovery codes (`xxxxx-xxxxx`, 50 bits each) and their hashes.
pub fn new_recovery_codes(user_id: &str) -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = random_bytes::<10>()
                .iter()
                .map(|b| RECOVERY_ALPHABET[usize::from(b & 31)] as char)
                .collect();
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect();
    let hashes = codes.iter().map(|c| recovery_hash(user_id, c)).collect();
    (codes, hashes)
}

/// What is stored of a recovery code (typed with or without the dash, any case;
/// o read as 0, i and l as 1).
pub fn recovery_hash(user_id: &str, typed: &str) -> String {
    let normal: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect();
    token_hash(&format!("{user_id}:{normal}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1, 8 digits truncated to the 6 we use.
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at_step(secret, t / STEP_SECONDS), code, "T={t}");
        }
    }

    #[test]
    fn window_is_one_step_each_side() {
        let secret = new_secret();
        let now: Timestamp = "2026-11-26T09:00:00Z".parse().unwrap();
        let step = now.as_second() as u64 / STEP_SECONDS;
        for d in [0i64, -1, 1] {
            let s = (step as i64 + d) as u64;
            assert_eq!(
                matching_step(&secret, &code_at_step(&secret, s), now),
                Some(s)
            );
        }
        let old = code_at_step(&secret, step - 2);
        assert_ne!(matching_step(&secret, &old, now), Some(step - 2));
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn sealing_binds_key_and_user() {
        let key = TotpKey([7; 32]);
        let secret = new_secret();
        let sealed = seal(&key, "u1", &secret).unwrap();
        assert_eq!(open(&key, "u1", &sealed).as_deref(), Some(&secret[..]));
        assert_eq!(open(&key, "u2", &sealed), None);
        assert_eq!(open(&TotpKey([8; 32]), "u1", &sealed), None);
        assert!(!sealed.contains(&secret_text(&secret).replace(' ', "")));
    }

    #[test]
    fn recovery_codes_are_distinct_and_forgiving() {
        let (codes, hashes) = new_recovery_codes("u1");
        assert_eq!(codes.len(), RECOVERY_CODES);
        let set: std::collections::HashSet<_> = hashes.iter().collect();
        assert_eq!(set.len(), RECOVERY_CODES);
        let typed = codes[0].to_uppercase().replace('-', " ");
        assert_eq!(recovery_hash("u1", &typed), hashes[0]);
        assert_ne!(recovery_hash("u2", &codes[0]), hashes[0]);
    }

    #[test]
    fn qr_is_an_svg_element() {
        let svg = qr_svg(&otpauth_uri(&new_secret(), "ab123456")).unwrap();
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
    }
}
