//! corio-http
pub mod proto;
pub mod static_files;
