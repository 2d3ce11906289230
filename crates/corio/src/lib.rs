//! corio runtime
