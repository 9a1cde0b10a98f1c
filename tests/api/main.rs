//! API tests: the whole app in process (gateway + handlers + embedded store).

mod emails;
mod gateway;
