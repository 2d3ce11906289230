//! The text of a request-target: inline when short, so that a typical request allocates
//! nothing for it.
//!
//! Invariant: the bytes are ASCII (the target was validated before it was stored), so the
//! `&str` view is always valid; it is checked with `str::from_utf8`, which costs a few
//! nanoseconds for an inline target and keeps the crate free of `unsafe`.

/// Longest target stored inline. 30 bytes keep [`TargetText`] at 32 bytes and cover the paths
/// of most API and benchmark requests (`/plaintext`, `/api/v1/users/12345`).
pub(crate) const INLINE_TARGET: usize = 30;

/// A request-target's text.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum TargetText {
    /// Up to [`INLINE_TARGET`] bytes, stored in place.
    Inline { len: u8, bytes: [u8; INLINE_TARGET] },
    /// A longer target, copied once. (Sharing the head's `Bytes` would also allocate, for the
    /// shared buffer's reference count, and re-validate UTF-8 on every access.)
    Heap(Box<str>),
}

impl TargetText {
    /// Stores `text`, inline if it fits.
    pub(crate) fn new(text: &str) -> TargetText {
        let b = text.as_bytes();
        if b.len() <= INLINE_TARGET {
            let mut bytes = [0; INLINE_TARGET];
            bytes[..b.len()].copy_from_slice(b);
            TargetText::Inline {
                len: b.len() as u8,
                bytes,
            }
        } else {
            TargetText::Heap(text.into())
        }
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            TargetText::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..*len as usize]).expect("targets are ASCII")
            }
            TargetText::Heap(text) => text,
        }
    }
}

impl std::fmt::Debug for TargetText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_up_to_the_limit_then_heap() {
        for len in [
            0,
            1,
            INLINE_TARGET - 1,
            INLINE_TARGET,
            INLINE_TARGET + 1,
            500,
        ] {
            let text = "a".repeat(len);
            let stored = TargetText::new(&text);
            assert_eq!(stored.as_str(), text);
            assert_eq!(
                matches!(stored, TargetText::Inline { .. }),
                len <= INLINE_TARGET
            );
        }
        assert_eq!(std::mem::size_of::<TargetText>(), 32);
    }
}
