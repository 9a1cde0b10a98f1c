//! ep-auth
