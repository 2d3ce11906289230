//! corio-http
pub mod proto;
