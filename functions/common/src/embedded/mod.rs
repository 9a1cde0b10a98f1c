//! The embedded adapters: everything in one data directory, no network.
//!
//! ```text
//! data/
//!   espace-partenaires.sqlite (+ -wal, -shm)   the Table
//!   blobs/                                     the Blobs
//!   outbox/                                    the Mailer (.eml files)
//!   secret.key                                 signs local upload links
//! ```

pub mod blobs;
pub mod outbox;
pub mod table;

use std::path::Path;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::context::Ctx;

pub use blobs::DirBlobs;
pub use outbox::{OutboxMailer, list_outbox};
pub use table::SqliteTable;

pub const DB_FILE: &str = "espace-partenaires.sqlite";

/// The embedded context plus the adapter handles the gateway needs directly.
pub struct Embedded {
    pub ctx: Ctx,
    pub table: Arc<SqliteTable>,
    pub blobs: Arc<DirBlobs>,
    pub outbox: Arc<OutboxMailer>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot open the data directory {path}: {reason}")]
pub struct OpenError {
    pub path: String,
    pub reason: String,
}

/// Opens (creating if needed) the data directory of `config`.
pub fn open(config: Config, clock: Arc<dyn Clock>) -> Result<Embedded, OpenError> {
    let dir = config.data_dir.clone();
    let err = |reason: String| OpenError {
        path: dir.display().to_string(),
        reason,
    };
    std::fs::create_dir_all(&dir).map_err(|e| err(e.to_string()))?;
    let secret = load_or_create_secret(&dir.join("secret.key")).map_err(|e| err(e.to_string()))?;
    let table = Arc::new(SqliteTable::open(&dir.join(DB_FILE)).map_err(|e| err(e.to_string()))?);
    let blobs = Arc::new(
        DirBlobs::new(dir.join("blobs"), secret, config.public_url.clone())
            .map_err(|e| err(e.to_string()))?,
    );
    let outbox = Arc::new(OutboxMailer::new(dir.join("outbox")).map_err(|e| err(e.to_string()))?);
    let scanner = crate::scan::from_config(&config);
    let ctx = Ctx {
        table: table.clone(),
        blobs: blobs.clone(),
        mailer: outbox.clone(),
        scanner,
        clock,
        config: Arc::new(config),
    };
    Ok(Embedded {
        ctx,
        table,
        blobs,
        outbox,
    })
}

fn load_or_create_secret(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() >= 32 => return Ok(bytes),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut secret = vec![0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    opts.open(path)?.write_all(&secret)?;
    Ok(secret)
}
