//! The context a handler runs with: one adapter per port, the clock, the config.
//! Built once per process (outside the handler on Lambda).

use std::sync::Arc;

use crate::blobs::Blobs;
use crate::clock::Clock;
use crate::config::Config;
use crate::mail::Mailer;
use crate::scan::Scanner;
use crate::table::Table;

#[derive(Clone)]
pub struct Ctx {
    pub table: Arc<dyn Table>,
    pub blobs: Arc<dyn Blobs>,
    pub mailer: Arc<dyn Mailer>,
    pub scanner: Arc<dyn Scanner>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
}

impl Ctx {
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
