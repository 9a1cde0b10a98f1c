//! The scheduled maintenance function (issue 6): convention ends, scheduled
//! inactivations, purges, reminders, overdue habilitation alerts, clean-up. Every
//! scenario is one function run twice, like the conformance suites: on the embedded
//! store (SQLite + outbox, the data directory grepped) and on DynamoDB + SES (moto).
//! Data is seeded by writing records directly; the clock is moved by hand.

#[macro_use]
mod support;

mod audit_chain;
mod cleanup;
mod lifecycle;
mod reminders;
mod runs;
