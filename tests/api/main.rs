//! API tests: the whole app in process (gateway + handlers + embedded store).

mod accounts;
mod attachments;
mod auth;
mod emails;
mod first_gestionnaire;
mod gateway;
mod history_pages;
mod maintenance;
mod requests;
mod round_trips;
mod siret;
