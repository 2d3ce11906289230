//! The text of a request-target: inline when short, so that a typical request allocates
//! nothing for it.
//!
//! The inline form is arrayvec's `ArrayString`, a string in a fixed array: reading it is free
//! (a `str::from_utf8` check per access cost about 180 instructions per request in the
//! plaintext profile, as every accessor of the target reads the text).

use arrayvec::ArrayString;

/// Longest target stored inline. 30 bytes cover the paths of most API and benchmark requests
/// (`/plaintext`, `/api/v1/users/12345`).
pub(crate) const INLINE_TARGET: usize = 30;

/// A request-target's text.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum TargetText {
    /// Up to [`INLINE_TARGET`] bytes, stored in place.
    Inline(ArrayString<INLINE_TARGET>),
    /// A longer target, copied once. (Sharing the head's `Bytes` would also allocate, for the
    /// shared buffer's reference count, and re-validate UTF-8 on every access.)
    Heap(Box<str>),
}

impl TargetText {
    /// Stores `text`, inline if it fits.
    pub(crate) fn new(text: &str) -> TargetText {
        match ArrayString::from(text) {
            Ok(inline) => TargetText::Inline(inline),
            Err(_) => TargetText::Heap(text.into()),
        }
    }

    /// Stores `bytes` if they are all ASCII (`None` otherwise), inline if they fit: the text
    /// of a target whose bytes the request parser has checked. Inline, the bytes are pushed
    /// as characters: every `&str` made from bytes in safe code goes through a UTF-8
    /// validation (`str::from_utf8`, `utf8_chunks`), about 9 instructions a byte for a short
    /// target, where an ASCII push is a compare and a store.
    pub(crate) fn from_ascii(bytes: &[u8]) -> Option<TargetText> {
        if bytes.len() > INLINE_TARGET {
            let text = std::str::from_utf8(bytes)
                .ok()
                .filter(|text| text.is_ascii())?;
            return Some(TargetText::Heap(text.into()));
        }
        let mut inline = ArrayString::new();
        for &b in bytes {
            if !b.is_ascii() {
                return None;
            }
            inline.push(char::from(b));
        }
        Some(TargetText::Inline(inline))
    }

    /// Sets the text to `bytes` in place if they are all ASCII (see
    /// [`TargetText::from_ascii`]); `false` otherwise (the text is then unspecified).
    pub(crate) fn set_ascii(&mut self, bytes: &[u8]) -> bool {
        if let (TargetText::Inline(text), true) = (&mut *self, bytes.len() <= INLINE_TARGET) {
            text.clear();
            for &b in bytes {
                if !b.is_ascii() {
                    return false;
                }
                text.push(char::from(b));
            }
            return true;
        }
        match TargetText::from_ascii(bytes) {
            Some(text) => {
                *self = text;
                true
            }
            None => false,
        }
    }

    /// The empty text.
    pub(crate) fn empty() -> TargetText {
        TargetText::Inline(ArrayString::new())
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            TargetText::Inline(text) => text,
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
                matches!(stored, TargetText::Inline(_)),
                len <= INLINE_TARGET
            );
        }
        assert!(std::mem::size_of::<TargetText>() <= 40);
    }

    #[test]
    fn from_ascii_keeps_ascii_and_refuses_the_rest() {
        for len in [0, 1, INLINE_TARGET, INLINE_TARGET + 1, 100] {
            let text: String = (0..len)
                .map(|i| char::from(b'!' + (i % 94) as u8))
                .collect();
            let stored = TargetText::from_ascii(text.as_bytes()).expect("ASCII");
            assert_eq!(stored, TargetText::new(&text));
            for mut old in [TargetText::empty(), TargetText::new(&"o".repeat(40))] {
                assert!(old.set_ascii(text.as_bytes()));
                assert_eq!(old, stored);
            }
            for at in [0, len / 2, len.saturating_sub(1)]
                .into_iter()
                .filter(|&at| at < len)
            {
                for b in [0x80, 0xc3, 0xff] {
                    let mut bytes = text.clone().into_bytes();
                    bytes[at] = b;
                    assert_eq!(TargetText::from_ascii(&bytes), None, "{len} {at} {b:#x}");
                    assert!(!TargetText::empty().set_ascii(&bytes));
                }
            }
        }
    }
}
