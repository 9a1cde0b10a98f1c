//! One route table per function: the `routes!` macro generates from a single list
//! both the `ROUTES` constant (which `template.yaml` must match, a test checks it) and
//! the dispatch, so a route cannot exist in one and not the other.
//!
//! ```ignore
//! ep_common::routes! {
//!     "GET /api/health" => Public health;
//!     "GET /api/partners" => Full partners::list;
//!     "GET /api/help" => FullEvenIfSuspended partners::help;
//! }
//! ```
//!
//! Each line is `"<route key>" => <gate> <handler>;`. The gate is `Public` (the
//! handler is `async fn(&Ctx, &Request) -> Answer` and checks what it needs itself) or
//! a [`Gate`](crate::sessions::Gate) variant (the handler is `async fn(&Ctx, &Request,
//! &Authed) -> Answer`, called only for a signed-in user who passes that gate). The
//! generated `handle(ctx, req)` answers 404 to any other route key, then checks
//! `Origin` on state-changing requests and the body's size (413 over
//! `http::MAX_BODY_BYTES`), then the gate, then calls the handler; a
//! `Problem` becomes its problem+json response.

/// The result of every handler.
pub type Answer = Result<lambda_http::Response<lambda_http::Body>, crate::http::Problem>;

#[macro_export]
macro_rules! routes {
    (@call Public, $handler:path, $ctx:expr, $req:expr) => {
        $handler($ctx, $req).await
    };
    (@call $gate:ident, $handler:path, $ctx:expr, $req:expr) => {
        match $crate::sessions::require($ctx, $req, $crate::sessions::Gate::$gate).await {
            Ok(authed) => $handler($ctx, $req, &authed).await,
            Err(p) => Err(p),
        }
    };
    ( $( $key:literal => $gate:ident $handler:path ; )* ) => {
        /// Route keys of this function; `template.yaml` declares exactly these (a test checks it).
        pub const ROUTES: &[&str] = &[ $( $key ),* ];

        /// The function's handler: one HTTP request in, one response out.
        pub async fn handle(
            ctx: $crate::Ctx,
            req: $crate::lambda_http::Request,
        ) -> $crate::lambda_http::Response<$crate::lambda_http::Body> {
            let _ = &ctx;
            let route = $crate::http::route_key(&req).unwrap_or_default();
            let answer: $crate::routes::Answer = match route.as_str() {
                $( $key => match $crate::http::check_origin(&req, &ctx.config.public_url)
                    .and_then(|()| $crate::http::check_body_size(&req))
                {
                    Err(p) => Err(p),
                    Ok(()) => $crate::routes!(@call $gate, $handler, &ctx, &req),
                }, )*
                _ => Err($crate::http::Problem::not_found()),
            };
            answer.unwrap_or_else($crate::http::Problem::into_response)
        }
    };
}
