//! API tests: the whole app in process (gateway + handlers + embedded store), and the
//! journeys listed in `both_modes!` once more through the real Lambda binaries
//! (`…::lambda`: the gateway's Lambda mode on moto, `EP_TEST_LAMBDA_DIR`).

/// Runs each journey `case(mode)` twice: `case::in_process` and `case::lambda`.
/// Journeys that move the clock (`app.clock`) stay in process only: a real binary's
/// clock cannot be moved.
macro_rules! both_modes {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn in_process() {
                super::$case(ep_tests::Mode::InProcess).await;
            }
            #[tokio::test]
            async fn lambda() {
                super::$case(ep_tests::Mode::Lambda).await;
            }
        }
    )*};
}

mod accounts;
mod attachments;
mod audit;
mod auth;
mod documents;
mod emails;
mod first_gestionnaire;
mod gateway;
mod history_pages;
mod lambda;
mod maintenance;
mod requests;
mod round_trips;
mod second_factor;
mod siret;
mod windows;
