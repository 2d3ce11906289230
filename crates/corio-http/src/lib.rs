//! corio-http
pub mod client;
pub mod proto;
pub mod static_files;
