//! Bodies rendered from a background snapshot, kept for as long as it is the
//! latest: a snapshot does not change, so each body is rendered once.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use super::negotiate::Format;
use super::render::Rendered;
use crate::monitor::{Catalog, Target};

/// What a body depends on besides the snapshot: requests without `exclude`
/// that agree on these get the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct BodyKey {
    pub(crate) target: Target,
    pub(crate) format: Format,
    pub(crate) details: bool,
}

/// The bodies of the latest snapshot seen.
#[derive(Debug)]
pub(crate) struct Bodies {
    current: RwLock<Arc<Generation>>,
}

/// The bodies of one snapshot, by key. Every key has its slot from the start,
/// so that finding it takes only a read lock, and rendering none.
#[derive(Debug)]
struct Generation {
    number: u64,
    bodies: HashMap<BodyKey, OnceLock<Rendered>>,
}

impl Bodies {
    pub(crate) fn new() -> Self {
        Bodies { current: RwLock::new(Arc::new(Generation { number: 0, bodies: HashMap::new() })) }
    }

    /// The body for `key` of the snapshot of `generation`, rendered by
    /// `render` the first time it is asked for.
    pub(crate) fn get_or_render(
        &self,
        catalog: &Catalog,
        generation: u64,
        key: BodyKey,
        render: impl FnOnce() -> Rendered,
    ) -> Rendered {
        let current = Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner));
        let current = if current.number >= generation { current } else { self.advance(catalog, generation) };
        // An older snapshot, still served by a slow request, is rendered again.
        match current.bodies.get(&key).filter(|_| current.number == generation) {
            Some(slot) => slot.get_or_init(render).clone(),
            None => render(),
        }
    }

    /// Starts keeping the bodies of `generation`, unless a newer one is kept.
    fn advance(&self, catalog: &Catalog, generation: u64) -> Arc<Generation> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.number < generation {
            let keys = catalog.targets().flat_map(|target| {
                Format::ALL.into_iter().flat_map(move |format| {
                    [false, true].map(|details| (BodyKey { target, format, details }, OnceLock::new()))
                })
            });
            *current = Arc::new(Generation { number: generation, bodies: keys.collect() });
        }
        Arc::clone(&current)
    }
}
