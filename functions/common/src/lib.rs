//! ep-common
