//! corio-http
