//! ep-accounts
