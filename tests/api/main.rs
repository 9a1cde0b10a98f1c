//! API tests: the whole app in process (gateway + handlers + embedded store).

mod auth;
mod emails;
mod gateway;
