//! The `requests` function: requests made by partners for an assuré, to a caisse
//! (SPEC §4, convention §1.2, §5) — the form and its checks, the submission, the
//! partner's history, the request page and its thread, the caisse's queue and
//! processing. Data layout: `ep_common::requests` (README « Data layout: requests »).

mod actions;
mod handlers;
mod lists;
mod options;
mod pages;
mod submit;
mod support;
pub mod texts;
mod views;

pub use lists::{PAGE, SCAN_CHUNK, SCAN_READS};

ep_common::routes! {
    "GET /api/requests/options" => FullEvenIfSuspended handlers::options;
    "POST /api/requests/check" => FullEvenIfSuspended handlers::check;
    "POST /api/requests" => FullEvenIfSuspended handlers::submit;
    "GET /api/requests" => Full handlers::history;
    "GET /api/requests/{request_id}" => Full handlers::detail;
    "POST /api/requests/{request_id}/actions" => Full handlers::act;
    "GET /api/queue" => Full handlers::queue;
}
