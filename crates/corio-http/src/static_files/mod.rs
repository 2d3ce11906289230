//! Static files.
pub mod path;
