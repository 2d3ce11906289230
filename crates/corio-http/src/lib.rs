//! corio-http
pub mod static_files;
