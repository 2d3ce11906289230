//! HTTP Basic authentication (RFC 7617) for `corio serve --auth user:password`.
//!
//! The password may be given as an argon2 hash in PHC form (`user:$argon2id$v=19$...`, made
//! by `corio serve --hash-password` or any argon2 tool), so that no plain password sits in a
//! shell history or a process listing; anything else after the first `:` is the password
//! itself. (A plain password that happens to start with `$argon2` is therefore read as a
//! hash: a bad one is refused at start-up.)
//!
//! # Invariants
//!
//! * Comparisons of user names and plain passwords are constant-time in the supplied value
//!   ([`subtle`]): their time depends only on the length of the expected value, never on how
//!   much of it the client got right. The user name and the password are both checked every
//!   time, so the answer's timing does not tell a wrong user from a wrong password.
//! * A hash is checked with argon2's own verification (constant-time), with the parameters
//!   stored in the hash. Argon2 is slow by design (milliseconds), and a browser sends the
//!   credentials with every request, so the last `Authorization` value that verified is
//!   remembered ([`BasicAuth::check`] compares against it in constant time first): a page
//!   with fifty images costs one argon2 run, not fifty. A wrong password always costs a run.
//! * Argon2 runs are split from the check ([`BasicAuth::decide`] is cheap and
//!   [`BasicAuth::verify`] is the slow part) so that the server runs them on the blocking
//!   pool, never on an event loop; at most [`MAX_CONCURRENT_VERIFICATIONS`] run at once (each
//!   takes 19 MiB), and a request past that is told to retry ([`Decision::Busy`]: 503), so a
//!   flood of wrong passwords costs bounded memory and CPU and never stalls other requests.
//! * Credentials are never logged or echoed.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use http::header::{HeaderValue, AUTHORIZATION};
use http::HeaderMap;
use subtle::{Choice, ConstantTimeEq};

/// `WWW-Authenticate` of a 401: Basic, in the realm `corio`, credentials in UTF-8.
pub const CHALLENGE: &str = "Basic realm=\"corio\", charset=\"UTF-8\"";

/// Bytes of random salt in a hash made by [`hash_password`] (argon2's recommended 16).
const SALT_LEN: usize = 16;

/// Most argon2 verifications running at once: each holds 19 MiB (the default parameters)
/// and a core for milliseconds; four bound a password flood to ~76 MiB and leave cores free.
pub const MAX_CONCURRENT_VERIFICATIONS: usize = 4;

/// What [`BasicAuth::decide`] found, without running argon2.
#[derive(Debug)]
pub enum Decision {
    /// The credentials are right.
    Allowed,
    /// Missing or wrong credentials: 401.
    Denied,
    /// A password to check against the hash: call [`BasicAuth::verify`] (slow) off the loop.
    Verify(PendingHash),
    /// Too many verifications are running: 503, retry.
    Busy,
}

/// Credentials waiting for an argon2 verification; holds one of the
/// [`MAX_CONCURRENT_VERIFICATIONS`] slots until dropped.
pub struct PendingHash {
    user_ok: bool,
    password: Vec<u8>,
    header: Vec<u8>,
    slot: Arc<AtomicUsize>,
}

impl fmt::Debug for PendingHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PendingHash")
    }
}

impl Drop for PendingHash {
    fn drop(&mut self) {
        self.slot.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What `--auth` was given that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError(String);

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AuthError {}

/// The expected password.
enum Secret {
    /// Compared in constant time.
    Plain(Vec<u8>),
    /// An argon2 hash in PHC form, checked by argon2.
    Hash(String),
}

/// One user and password that a request must present.
pub struct BasicAuth {
    user: Vec<u8>,
    secret: Secret,
    /// The last `Authorization` value that passed a hash check (see the module docs).
    verified: Mutex<Option<Vec<u8>>>,
    /// Verifications running now.
    running: Arc<AtomicUsize>,
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("user", &String::from_utf8_lossy(&self.user))
            .field(
                "secret",
                &match self.secret {
                    Secret::Plain(_) => "plain",
                    Secret::Hash(_) => "argon2 hash",
                },
            )
            .finish()
    }
}

impl BasicAuth {
    /// Parses `user:password` or `user:$argon2...`.
    ///
    /// ```
    /// use corio_http::static_files::auth::BasicAuth;
    /// assert!(BasicAuth::parse("alice:s3cret").is_ok());
    /// assert!(BasicAuth::parse("alice").is_err());
    /// assert!(BasicAuth::parse("alice:$argon2id$not-a-hash").is_err());
    /// ```
    pub fn parse(spec: &str) -> Result<BasicAuth, AuthError> {
        let Some((user, password)) = spec.split_once(':') else {
            return Err(AuthError(
                "--auth wants USER:PASSWORD or USER:ARGON2-HASH".into(),
            ));
        };
        if user.is_empty() || user.chars().any(char::is_control) {
            return Err(AuthError(
                "--auth: the user name must be non-empty, without control characters".into(),
            ));
        }
        if password.is_empty() {
            return Err(AuthError("--auth: the password is empty".into()));
        }
        let secret = if password.starts_with("$argon2") {
            let invalid =
                |why: String| AuthError(format!("--auth: not a valid argon2 hash: {why}"));
            let parsed = PasswordHash::new(password).map_err(|e| invalid(e.to_string()))?;
            if parsed.hash.is_none() {
                return Err(invalid("it has no hash part".into()));
            }
            argon2::Params::try_from(&parsed).map_err(|e| invalid(e.to_string()))?;
            Secret::Hash(password.to_owned())
        } else {
            Secret::Plain(password.as_bytes().to_vec())
        };
        Ok(BasicAuth {
            user: user.as_bytes().to_vec(),
            secret,
            verified: Mutex::new(None),
            running: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Whether the request's `Authorization` field carries the expected credentials, running
    /// argon2 here when needed (for callers without an event loop; the server uses
    /// [`decide`](BasicAuth::decide) and [`verify`](BasicAuth::verify)). `false` when busy.
    pub fn check(&self, headers: &HeaderMap) -> bool {
        match self.decide(headers) {
            Decision::Allowed => true,
            Decision::Denied | Decision::Busy => false,
            Decision::Verify(pending) => self.verify(pending),
        }
    }

    /// The cheap part of a check: constant-time comparisons, and for a hash the remembered
    /// credentials; argon2 itself is left to [`verify`](BasicAuth::verify).
    pub fn decide(&self, headers: &HeaderMap) -> Decision {
        let Some(value) = headers.get(AUTHORIZATION) else {
            return Decision::Denied;
        };
        let Some((user, password)) = credentials(value) else {
            return Decision::Denied;
        };
        let user_ok = ct_eq(&self.user, &user);
        match &self.secret {
            Secret::Plain(expected) => {
                if bool::from(user_ok & ct_eq(expected, &password)) {
                    Decision::Allowed
                } else {
                    Decision::Denied
                }
            }
            Secret::Hash(_) => {
                let verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(known) = verified.as_deref() {
                    if bool::from(ct_eq(known, value.as_bytes())) {
                        return Decision::Allowed;
                    }
                }
                drop(verified);
                if self.running.fetch_add(1, Ordering::AcqRel) >= MAX_CONCURRENT_VERIFICATIONS {
                    self.running.fetch_sub(1, Ordering::AcqRel);
                    return Decision::Busy;
                }
                Decision::Verify(PendingHash {
                    user_ok: bool::from(user_ok),
                    password,
                    header: value.as_bytes().to_vec(),
                    slot: self.running.clone(),
                })
            }
        }
    }

    /// Runs argon2 on `pending` (milliseconds: call it off the event loop); remembers the
    /// credentials when they are right.
    pub fn verify(&self, pending: PendingHash) -> bool {
        let Secret::Hash(hash) = &self.secret else {
            return false;
        };
        // The hash was checked by `parse`, so it parses here.
        let password_ok = PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(&pending.password, &parsed)
                .is_ok()
        });
        let ok = pending.user_ok && password_ok;
        if ok {
            *self.verified.lock().unwrap_or_else(|e| e.into_inner()) = Some(pending.header.clone());
        }
        ok
    }

    /// The `WWW-Authenticate` value of a 401.
    pub fn challenge() -> HeaderValue {
        HeaderValue::from_static(CHALLENGE)
    }
}

/// The user and password of `Basic <base64(user:password)>` (scheme case-insensitive).
fn credentials(value: &HeaderValue) -> Option<(Vec<u8>, Vec<u8>)> {
    let text = value.to_str().ok()?.trim();
    let (scheme, encoded) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    Some((decoded[..colon].to_vec(), decoded[colon + 1..].to_vec()))
}

/// Constant-time equality whose time depends on `expected.len()` only.
fn ct_eq(expected: &[u8], given: &[u8]) -> Choice {
    let mut equal = (expected.len() as u64).ct_eq(&(given.len() as u64));
    for (i, byte) in expected.iter().enumerate() {
        equal &= byte.ct_eq(given.get(i).unwrap_or(&0));
    }
    equal
}

/// Hashes `password` with argon2id (the crate's default parameters: 19 MiB, 2 passes) and a
/// random salt from the kernel, in PHC form for `--auth user:HASH`.
pub fn hash_password(password: &[u8]) -> std::io::Result<String> {
    let mut salt = [0u8; SALT_LEN];
    rustix::rand::getrandom(&mut salt, rustix::rand::GetRandomFlags::empty())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| std::io::Error::other(e.to_string()))?;
    Argon2::default()
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(credentials: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        headers
    }

    #[test]
    fn plain_password_table() {
        let auth = BasicAuth::parse("alice:pa:ss wörd").unwrap();
        let cases = [
            ("alice:pa:ss wörd", true),
            ("alice:pa:ss wör", false),
            ("alice:pa:ss wördd", false),
            ("alic:pa:ss wörd", false),
            ("alice:", false),
            ("alice", false),
            (":pa:ss wörd", false),
        ];
        for (credentials, want) in cases {
            assert_eq!(auth.check(&basic(credentials)), want, "{credentials}");
        }
        assert!(!auth.check(&HeaderMap::new()));
        let mut headers = HeaderMap::new();
        for value in ["Bearer abc", "Basic !!!", "Basic", "basic YWxpY2U="] {
            headers.insert(AUTHORIZATION, HeaderValue::from_static(value));
            assert!(!auth.check(&headers), "{value}");
        }
        let mut lower = basic("alice:pa:ss wörd");
        let value = lower[AUTHORIZATION]
            .to_str()
            .unwrap()
            .replace("Basic", "bAsIc");
        lower.insert(AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
        assert!(auth.check(&lower));
    }

    #[test]
    fn parse_errors() {
        for spec in [
            "",
            "alice",
            ":pw",
            "alice:",
            "al\u{7}ice:pw",
            "a:$argon2id$bad",
        ] {
            assert!(BasicAuth::parse(spec).is_err(), "{spec:?}");
        }
    }

    #[test]
    fn hashed_password() {
        let hash = hash_password(b"hunter2").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert_ne!(hash, hash_password(b"hunter2").unwrap(), "salted");
        let auth = BasicAuth::parse(&format!("bob:{hash}")).unwrap();
        assert!(!auth.check(&basic("bob:hunter3")));
        assert!(!auth.check(&basic("rob:hunter2")));
        assert!(auth.check(&basic("bob:hunter2")));
        // Remembered: the same header passes again; others still need the hash.
        assert!(auth.check(&basic("bob:hunter2")));
        assert!(!auth.check(&basic("bob:hunter22")));
        assert!(format!("{auth:?}").contains("argon2 hash"));
        // Past the concurrency bound, a check is Busy until a slot frees.
        let held: Vec<PendingHash> = (0..MAX_CONCURRENT_VERIFICATIONS)
            .map(|_| match auth.decide(&basic("bob:other")) {
                Decision::Verify(p) => p,
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(matches!(auth.decide(&basic("bob:other")), Decision::Busy));
        assert!(matches!(
            auth.decide(&basic("bob:hunter2")),
            Decision::Allowed
        ));
        drop(held);
        assert!(matches!(
            auth.decide(&basic("bob:other")),
            Decision::Verify(_)
        ));
        assert!(!format!("{auth:?}").contains(&hash));
    }

    #[test]
    fn ct_eq_table() {
        let cases: [(&[u8], &[u8], bool); 5] = [
            (b"abc", b"abc", true),
            (b"abc", b"abd", false),
            (b"abc", b"ab", false),
            (b"abc", b"abc\0", false),
            (b"", b"", true),
        ];
        for (a, b, want) in cases {
            assert_eq!(bool::from(ct_eq(a, b)), want, "{a:?} {b:?}");
        }
    }
}
