//! Connections by name, process-wide: every thread and every PowerShell runspace sees the same
//! names. Names compare case-insensitively, like the PowerShell hashtable Pode keeps them in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use once_cell::sync::Lazy;
use parking_lot::RwLock;

use crate::connection::Connection;
use crate::error::{Error, PodeWsResult, Result};

pub static REGISTRY: Lazy<Registry> = Lazy::new(Registry::default);

#[derive(Default)]
pub struct Registry {
    by_name: RwLock<HashMap<String, Arc<Connection>>>,
    next_id: AtomicU64,
}

fn key(name: &str) -> String {
    name.to_lowercase()
}

impl Registry {
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Registers a new connection; fails if the name is taken.
    pub fn insert(&self, connection: Arc<Connection>) -> Result<()> {
        let mut map = self.by_name.write();
        let key = key(&connection.name);
        if map.contains_key(&key) {
            return Err(Error::new(
                PodeWsResult::NameInUse,
                format!(
                    "a WebSocket connection named '{}' already exists; remove it first or use another name",
                    connection.name
                ),
            ));
        }
        map.insert(key, connection);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Result<Arc<Connection>> {
        self.by_name
            .read()
            .get(&key(name))
            .cloned()
            .ok_or_else(|| Error::unknown_name(name))
    }

    /// Forgets `name` if it still refers to connection `id`.
    pub fn remove(&self, name: &str, id: u64) -> bool {
        let mut map = self.by_name.write();
        let key = key(name);
        if map.get(&key).is_some_and(|c| c.id == id) {
            map.remove(&key);
            true
        } else {
            false
        }
    }

    /// Takes `name` out of the registry, so only one caller can remove it.
    pub fn take(&self, name: &str) -> Result<Arc<Connection>> {
        self.by_name
            .write()
            .remove(&key(name))
            .ok_or_else(|| Error::unknown_name(name))
    }

    pub fn all(&self) -> Vec<Arc<Connection>> {
        let mut all: Vec<_> = self.by_name.read().values().cloned().collect();
        all.sort_by_key(|c| c.id);
        all
    }
}
