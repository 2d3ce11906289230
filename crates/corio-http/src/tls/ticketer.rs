//! [`ticketer()`]: the server's stateless session tickets, sealed with AES-256-GCM-SIV.
//!
//! rustls' aws-lc-rs provider seals tickets as RFC 5077 recommends: AES-256-CBC with a fresh
//! IV, then HMAC-SHA-256 over the whole ticket. Under callgrind that is ~14,000 instructions
//! per ticket sealed and ~12,000 per ticket opened, and a resumed TLS 1.3 handshake opens one
//! and seals two: 3.5 % of its server cost, and what put corio above hyper+rustls (which
//! resumes from its session cache, without tickets). This ticketer is rustls' own ring
//! provider's (an AEAD under one random key, a random nonce per ticket) over aws-lc-rs:
//! one AEAD pass with a key expanded once, ~4,000 instructions per seal (half of them
//! drawing the nonce) and ~1,500 per open. No cipher is written here; AWS-LC draws the
//! nonces (`RandomizedNonceKey`).
//!
//! Invariants:
//! - a ticket is `key_name (16) || nonce (12) || ciphertext || tag (16)`, the key name
//!   authenticated as associated data;
//! - AES-256-GCM-SIV, not GCM: a repeated random nonce (likely only after ~2^32 tickets under
//!   one key) would reveal only whether two tickets are equal, never the key stream;
//! - keys rotate: rustls' [`TicketRotator`] makes a new key every [`TICKET_KEY_LIFETIME`] and
//!   keeps the previous one to open tickets, so a ticket resumes for up to twice that and a
//!   stolen ticket key stops mattering after it;
//! - anything else opens to `None` (a full handshake follows): another key's name, a
//!   ticket cut short, longer than any this key sealed, or altered by a single bit.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM_SIV, NONCE_LEN};
use rustls::crypto::GetRandomFailed;
use rustls::server::ProducesTickets;
use rustls::ticketer::TicketRotator;
use subtle::ConstantTimeEq;

/// Seconds a ticket key seals new tickets (rustls' own choice): tickets then stay valid for
/// twice this, and a compromised key exposes at most that window of sessions.
pub const TICKET_KEY_LIFETIME: u32 = 6 * 60 * 60;

/// Bytes of the random name that tells which key sealed a ticket.
const KEY_NAME_LEN: usize = 16;

/// The server's ticketer: a [`TicketRotator`] of `AeadTicketer`s (a new key every
/// [`TICKET_KEY_LIFETIME`]).
pub fn ticketer() -> Result<Arc<dyn ProducesTickets>, rustls::Error> {
    Ok(Arc::new(TicketRotator::new(TICKET_KEY_LIFETIME, || {
        AeadTicketer::new().map(|t| Box::new(t) as Box<dyn ProducesTickets>)
    })?))
}

/// Tickets under one random AES-256-GCM-SIV key.
pub(crate) struct AeadTicketer {
    key: RandomizedNonceKey,
    key_name: [u8; KEY_NAME_LEN],
    /// The longest ticket sealed so far: longer ones are refused before any work.
    longest: AtomicUsize,
}

impl AeadTicketer {
    /// A ticketer with a fresh random key and key name.
    pub(crate) fn new() -> Result<AeadTicketer, GetRandomFailed> {
        let mut key = [0u8; 32];
        let mut key_name = [0u8; KEY_NAME_LEN];
        aws_lc_rs::rand::fill(&mut key).map_err(|_| GetRandomFailed)?;
        aws_lc_rs::rand::fill(&mut key_name).map_err(|_| GetRandomFailed)?;
        let key = RandomizedNonceKey::new(&AES_256_GCM_SIV, &key).map_err(|_| GetRandomFailed)?;
        Ok(AeadTicketer {
            key,
            key_name,
            longest: AtomicUsize::new(0),
        })
    }
}

impl std::fmt::Debug for AeadTicketer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key and its name stay out of logs.
        f.debug_struct("AeadTicketer").finish_non_exhaustive()
    }
}

impl ProducesTickets for AeadTicketer {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        TICKET_KEY_LIFETIME
    }

    fn encrypt(&self, message: &[u8]) -> Option<Vec<u8>> {
        let tag_len = self.key.algorithm().tag_len();
        let mut sealed = Vec::with_capacity(message.len() + tag_len);
        sealed.extend_from_slice(message);
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(self.key_name), &mut sealed)
            .ok()?;
        let mut ticket = Vec::with_capacity(KEY_NAME_LEN + NONCE_LEN + sealed.len());
        ticket.extend_from_slice(&self.key_name);
        ticket.extend_from_slice(nonce.as_ref());
        ticket.extend_from_slice(&sealed);
        self.longest.fetch_max(ticket.len(), Ordering::Relaxed);
        Some(ticket)
    }

    fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        if ticket.len() > self.longest.load(Ordering::Relaxed) {
            return None;
        }
        let (name, rest) = ticket.split_at_checked(KEY_NAME_LEN)?;
        let (nonce, sealed) = rest.split_at_checked(NONCE_LEN)?;
        if !bool::from(name.ct_eq(&self.key_name)) {
            return None;
        }
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut out = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(name), &mut out)
            .ok()?
            .len();
        out.truncate(plain);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_ticket_opens_to_its_message() {
        let t = AeadTicketer::new().unwrap();
        let ticket = t.encrypt(b"session state").unwrap();
        assert_eq!(ticket.len(), KEY_NAME_LEN + NONCE_LEN + 13 + 16);
        assert_eq!(t.decrypt(&ticket).as_deref(), Some(&b"session state"[..]));
        // A nonce per ticket: the same message seals differently.
        assert_ne!(t.encrypt(b"session state").unwrap(), ticket);
    }

    #[test]
    fn altered_short_long_and_foreign_tickets_do_not_open() {
        let t = AeadTicketer::new().unwrap();
        let ticket = t.encrypt(b"session state").unwrap();
        for i in 0..ticket.len() {
            let mut bad = ticket.clone();
            bad[i] ^= 1;
            assert_eq!(t.decrypt(&bad), None, "bit flipped at {i}");
        }
        for n in 0..ticket.len() {
            assert_eq!(t.decrypt(&ticket[..n]), None, "cut to {n}");
        }
        let mut long = ticket.clone();
        long.push(0);
        assert_eq!(t.decrypt(&long), None);
        assert_eq!(AeadTicketer::new().unwrap().decrypt(&ticket), None);
    }

    #[test]
    fn the_rotator_opens_what_it_sealed() {
        let t = ticketer().unwrap();
        assert!(t.enabled());
        assert_eq!(t.lifetime(), 2 * TICKET_KEY_LIFETIME);
        let ticket = t.encrypt(b"state").unwrap();
        assert_eq!(t.decrypt(&ticket).as_deref(), Some(&b"state"[..]));
    }
}
