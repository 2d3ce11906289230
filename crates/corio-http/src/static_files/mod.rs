//! Static files.
pub mod conditional;
pub mod mime;
pub mod path;
pub mod range;
