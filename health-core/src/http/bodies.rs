//! Bodies rendered from a background snapshot, kept with it: a snapshot does
//! not change, so each body is rendered once.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use super::negotiate::Format;
use super::render::Rendered;
use super::visibility::Shown;
use crate::monitor::{Catalog, Target};

/// What a body depends on besides the snapshot: requests without `exclude`
/// that agree on these get the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct BodyKey {
    pub(crate) target: Target,
    pub(crate) format: Format,
    pub(crate) shown: Shown,
}

/// The bodies of one snapshot, by key, kept as the snapshot's extension.
/// Every key has its slot from the start, so that finding one takes no lock.
#[derive(Debug)]
pub(crate) struct Bodies {
    bodies: HashMap<BodyKey, OnceLock<Rendered>, BuildHasherDefault<KeyHasher>>,
}

/// A hasher for the few small keys of one snapshot, built by this process:
/// nothing adversarial to resist, so a multiply and a rotate per word do
/// (as rustc's FxHasher), where the default hasher costs a request more.
#[derive(Debug, Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl Bodies {
    /// Room for every body of the subjects in `catalog`.
    pub(crate) fn new(catalog: &Catalog) -> Self {
        let keys = catalog.targets().flat_map(|target| {
            Format::ALL.into_iter().flat_map(move |format| {
                [Shown::STATUSES, Shown::ALL].map(|shown| (BodyKey { target, format, shown }, OnceLock::new()))
            })
        });
        Bodies { bodies: keys.collect() }
    }

    /// The body for `key`, rendered by `render` the first time it is asked for.
    pub(crate) fn get_or_render(&self, key: BodyKey, render: impl FnOnce() -> Rendered) -> Rendered {
        match self.bodies.get(&key) {
            Some(slot) => slot.get_or_init(render).clone(),
            None => render(),
        }
    }
}
