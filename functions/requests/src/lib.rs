//! ep-requests
