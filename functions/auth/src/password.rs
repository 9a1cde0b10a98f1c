//! Argon2id hashing (m = 19456 KiB, t = 2, p = 1), always off the async threads.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use ep_common::http::Problem;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password with the same parameters, verified for unknown
/// identifiants so that timing does not reveal whether an account exists.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$RVBkdW1teXNhbHQwMDAwMQ$5Bqp8n0Cj3Xk3gq9Qz0b3W9mQm2l9Zf3rE1xB6uYc8s";

pub async fn hash(password: String) -> Result<String, Problem> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&ep_common::ids::random_bytes::<16>())
            .map_err(|_| Problem::unavailable())?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| Problem::unavailable())
    })
    .await
    .map_err(|_| Problem::unavailable())?
}

/// Whether `password` matches `hash` (false for a malformed hash).
pub async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Whether `password` matches any of `hashes` (password history).
pub async fn matches_any(password: &str, hashes: &[String]) -> bool {
    for h in hashes {
        if verify(password.to_owned(), h.clone()).await {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_chosen_parameters_and_verify() {
        let h = hash("Un mot de passe correct 2026 !".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("Un mot de passe correct 2026 !".into(), h.clone()).await);
        assert!(!verify("un autre".into(), h.clone()).await);
        let h2 = hash("Un mot de passe correct 2026 !".into()).await.unwrap();
        assert_ne!(h, h2, "salted");
    }

    #[tokio::test]
    async fn the_dummy_hash_is_a_real_argon2id_hash_of_the_same_cost() {
        let parsed = PasswordHash::new(DUMMY_HASH).expect("valid PHC string");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(!verify("n'importe quoi".into(), DUMMY_HASH.into()).await);
    }
}
