//! ep-maintenance
