//! Argon2id hashing (m = 19456 KiB, t = 2, p = 1), always off the async threads, on
//! a small pool of its own: one thread per core. So at most that many 19 MiB buffers
//! exist at once, and each stays in its thread's allocator arena for the next hash
//! instead of one arena per blocking thread (a burst of logins used to drive the
//! gateway to gigabytes: `infra/scripts/bench-login-memory.sh` measures it).

use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use ep_common::http::Problem;

type Job = Box<dyn FnOnce() + Send>;

/// The pool's queue; its threads live as long as the process.
fn pool() -> &'static Mutex<Sender<Job>> {
    static POOL: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "argon2 thread not started");
            }
        }
        Mutex::new(tx)
    })
}

/// Runs `f` on the Argon2 pool; `None` if the pool is gone (never in practice).
async fn on_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    pool().lock().ok()?.send(job).ok()?;
    rx.await.ok()
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password with the same parameters, verified for unknown
/// identifiants so that timing does not reveal whether an account exists.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$RVBkdW1teXNhbHQwMDAwMQ$5Bqp8n0Cj3Xk3gq9Qz0b3W9mQm2l9Zf3rE1xB6uYc8s";

pub async fn hash(password: String) -> Result<String, Problem> {
    on_pool(move || {
        let salt = SaltString::encode_b64(&ep_common::ids::random_bytes::<16>())
            .map_err(|_| Problem::unavailable())?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| Problem::unavailable())
    })
    .await
    .ok_or_else(Problem::unavailable)?
}

/// Whether `password` matches `hash` (false for a malformed hash).
pub async fn verify(password: String, hash: String) -> bool {
    on_pool(move || verify_here(&password, &hash))
        .await
        .unwrap_or(false)
}

thread_local! {
    /// The Argon2 working memory of this pool thread, allocated once and reused by
    /// every verification (no 19 MiB allocation per sign-in).
    static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Verifies on this thread with its reused working memory; the comparison of the
/// outputs is constant-time (`password_hash::Output`).
fn verify_here(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let algorithm = Algorithm::try_from(parsed.algorithm).unwrap_or(Algorithm::Argon2id);
    let version = parsed
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or(Version::V0x13);
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let need = params.block_count();
    let mut out = vec![0u8; expected.len()];
    let hashed = BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        if blocks.len() < need {
            blocks.resize(need, Block::default());
        }
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                &mut blocks[..need],
            )
            .is_ok()
    });
    hashed && Output::new(&out).is_ok_and(|o| o == expected)
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
