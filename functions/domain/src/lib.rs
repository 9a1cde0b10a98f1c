//! Rules of SPEC.md as pure functions: no I/O, no async, never the system clock
//! or the environment — `now` / `today` are always arguments.
//!
//! Modules:
//! - [`error`]: [`FieldError`] (field, stable code, French message) and [`Violations`];
//! - [`types`]: parse-at-construction domain types (e-mail, phone, names…);
//! - [`quota`]: account quotas by number of members (§2.2.1);
//! - [`calendar`]: French working days and the habilitation due date (§2.2.1);
//! - [`nir`]: NIR detector (§5);
//! - [`freetext`]: free-text guard — health data, insults, NIR (§5);
//! - [`password`]: CNIL 2022 password policy, expiry and reminder (§2.2.1);
//! - [`lifecycle`]: convention end, inactivations, exclusion, suspension, purge (§2.2.3, §4.1);
//! - [`maintenance`]: maintenance windows — checks, in force, `Retry-After` (§3.2);
//! - [`request_form`]: the new-request form, the text guards of a request's thread, references, name search keys (§1.2, §5);
//! - [`requests`]: functionality access, request state machine, document delivery (§1.2, §5);
//! - [`review_csv`]: habilitation review export (§4.2).
//!
//! § numbers are those of the convention, as used in `SPEC.md`.

pub mod calendar;
pub mod error;
pub mod exclusion;
pub mod freetext;
pub mod lifecycle;
pub mod maintenance;
pub mod nir;
pub mod password;
pub mod quota;
pub mod request_form;
pub mod request_keys;
pub mod requests;
pub mod review_csv;
pub mod text;
pub mod types;

pub use error::{FieldError, Violations};
pub use text::TextSpan;
