//! Rules of SPEC.md as pure functions.
