//! [`FieldSummary`]: the few request fields the head's rules depend on, noted as the fields are
//! read.
//!
//! The Host, framing, Expect and keep-alive rules of a request head (`request.rs`) look at five
//! field names only. The one-pass parser (`quick_head.rs`) notes them while each field line is
//! still in hand, where it already knows a `Host` line by one compare; the strict path notes
//! them in one pass over httparse's fields ([`FieldSummary::of`]). Either way the rules then
//! read the summary, and look at the fields again only when one of the rare fields (framing,
//! `Expect`, a `Connection` that is not one of the usual two values) is present.

use super::error::ProtoError;
use super::fields::{folded_eq, Field};

/// What the head's rules need to know of its fields (see the module docs). Equal for the same
/// fields however they were parsed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FieldSummary<'a> {
    /// The first `Host` field's value.
    pub(crate) first_host: Option<&'a [u8]>,
    /// How many `Host` fields there are.
    pub(crate) hosts: u32,
    /// Whether a `Content-Length` or `Transfer-Encoding` field is present.
    pub(crate) framing: bool,
    /// Whether an `Expect` field is present.
    pub(crate) expect: bool,
    /// The first `Connection` field's value.
    pub(crate) first_connection: Option<&'a [u8]>,
    /// How many `Connection` fields there are.
    pub(crate) connections: u32,
}

impl<'a> FieldSummary<'a> {
    /// The summary of `fields`; a field without a name is an error.
    pub(crate) fn of(fields: &[Field<'a>]) -> Result<FieldSummary<'a>, ProtoError> {
        let mut summary = FieldSummary::default();
        for field in fields {
            if field.name.is_empty() {
                return Err(ProtoError::BadHeaderName);
            }
            summary.note(field.name, field.value);
        }
        Ok(summary)
    }

    /// Notes a `Host` field (its name already recognised).
    #[inline(always)]
    pub(crate) fn note_host(&mut self, value: &'a [u8]) {
        self.hosts += 1;
        self.first_host.get_or_insert(value);
    }

    /// Notes the field `name: value` (`value` without the whitespace around it).
    #[inline(always)]
    pub(crate) fn note(&mut self, name: &[u8], value: &'a [u8]) {
        match name.len() {
            4 if folded_eq(name, b"host") => self.note_host(value),
            6 if folded_eq(name, b"expect") => self.expect = true,
            10 if folded_eq(name, b"connection") => {
                self.connections += 1;
                self.first_connection.get_or_insert(value);
            }
            14 if folded_eq(name, b"content-length") => self.framing = true,
            17 if folded_eq(name, b"transfer-encoding") => self.framing = true,
            _ => {}
        }
    }
}
