//! Password hashing with argon2id. Hashing is slow on purpose: call from
//! `spawn_blocking` in async code.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::AccountError;

/// Hashes a password into a PHC string.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AccountError::Hash(err.to_string()))
}

/// Checks a password against a stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random password for generated accounts: 20 characters without look-alikes.
pub fn random_password() -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Argon2 holds about 19 MiB while it hashes, and takes a core: the hashing of sign-ins
/// and password changes goes through this gate, a few at once, a short queue behind
/// them, and beyond that a refusal to try again shortly, so that a burst of sign-ins
/// cannot exhaust memory or starve other requests.
pub struct HashingGate {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
}

/// A place at the gate: hash while holding it (move it into the blocking task).
pub struct HashingPermit {
    _running: OwnedSemaphorePermit,
    _admitted: OwnedSemaphorePermit,
}

impl HashingGate {
    /// How long a refused client is asked to wait before trying again.
    pub const RETRY_AFTER_SECS: i64 = 2;

    /// `running` hashes at once, and `queued` more waiting for their turn.
    pub fn new(running: usize, queued: usize) -> Self {
        Self {
            running: Arc::new(Semaphore::new(running.max(1))),
            admitted: Arc::new(Semaphore::new(running.max(1) + queued)),
        }
    }

    /// One hash per core but one, at most four (a core stays free for the other
    /// requests), and a queue of at least 16 (a second or two of waiting).
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let running = cores.saturating_sub(1).clamp(1, 4);
        Self::new(running, (8 * running).max(16))
    }

    /// Waits for a turn, or refuses at once when the queue is full.
    pub async fn enter(&self) -> Result<HashingPermit, AccountError> {
        let busy = || AccountError::Busy {
            retry_after_secs: Self::RETRY_AFTER_SECS,
        };
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| busy())?;
        let running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| busy())?;
        Ok(HashingPermit {
            _running: running,
            _admitted: admitted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() {
        let hash = hash_password("正确的密码").unwrap();
        assert!(verify_password("正确的密码", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(random_password(), random_password());
    }
}
