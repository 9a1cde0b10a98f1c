//! What every versioned record of the table shares: its item, and the conditional
//! write that replaces it if nobody changed it since it was read (optimistic
//! concurrency on the `v` attribute).

use crate::table::{Cond, Item, StoreError, Write};

pub trait Record: Clone {
    /// The item as stored (keys and index attributes included).
    fn to_item(&self) -> Result<Item, StoreError>;
    /// The version read.
    fn version(&self) -> u64;
    fn set_version(&mut self, v: u64);

    /// The put of the changed record, conditioned on the version read, and the
    /// record as written (its new version).
    fn update_write(&self) -> Result<(Write, Self), StoreError> {
        let mut next = self.clone();
        next.set_version(self.version() + 1);
        Ok((
            Write::put(next.to_item()?, Cond::VersionEquals(self.version())),
            next,
        ))
    }
}

/// Implements [`Record`] for structs with a `v: u64` field and an inherent
/// `item(&self) -> Result<Item, StoreError>`.
#[macro_export]
macro_rules! versioned {
    ($($t:ty),+ $(,)?) => {$(
        impl $crate::record::Record for $t {
            fn to_item(&self) -> Result<$crate::table::Item, $crate::table::StoreError> {
                self.item()
            }
            fn version(&self) -> u64 {
                self.v
            }
            fn set_version(&mut self, v: u64) {
                self.v = v;
            }
        }
    )+};
}
