//! Which components of a report to run: all, a probe group, or one component.

use crate::ComponentInfo;

/// A set of components of one report, by position: at most 128.
///
/// ```
/// use health_core::report::{ComponentInfo, Selection};
///
/// let components = [
///     ComponentInfo::new("db").with_groups(["readiness"]),
///     ComponentInfo::new("self").with_groups(["liveness", "readiness"]),
/// ];
/// let live = Selection::group(&components, "liveness");
/// assert!(!live.contains(0) && live.contains(1));
/// assert_eq!(Selection::component(&components, "db"), Some(Selection::none().with(0)));
/// assert!(Selection::group(&components, "readiness").contains_all(live));
/// assert_eq!(Selection::none().with(3).with(64).with(127).indices().collect::<Vec<_>>(), [3, 64, 127]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Selection(u128);

impl Selection {
    /// The most components a report can have.
    pub const CAPACITY: usize = 128;

    /// Every component.
    pub const fn all() -> Self {
        Selection(u128::MAX)
    }

    /// No component.
    pub const fn none() -> Self {
        Selection(0)
    }

    /// The first `len` components.
    pub const fn first(len: usize) -> Self {
        if len >= Self::CAPACITY { Self::all() } else { Selection((1 << len) - 1) }
    }

    /// The components in `group`.
    pub fn group(components: &[ComponentInfo], group: &str) -> Self {
        Self::matching(components, |component| component.in_group(group))
    }

    /// The component named `name`, if there is one.
    pub fn component(components: &[ComponentInfo], name: &str) -> Option<Self> {
        let index = components.iter().position(|component| component.name() == name)?;
        Some(Self::none().with(index))
    }

    /// The components for which `predicate` holds.
    pub fn matching(components: &[ComponentInfo], predicate: impl Fn(&ComponentInfo) -> bool) -> Self {
        let included = components.iter().take(Self::CAPACITY).enumerate().filter(|(_, component)| predicate(component));
        included.fold(Self::none(), |selection, (index, _)| selection.with(index))
    }

    /// Whether the component at `index` is selected.
    pub const fn contains(self, index: usize) -> bool {
        index < Self::CAPACITY && self.0 & (1 << index) != 0
    }

    /// Whether every component of `other` is selected here too.
    pub const fn contains_all(self, other: Selection) -> bool {
        other.0 & !self.0 == 0
    }

    /// Whether no component is selected.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// This selection and the component at `index`; an index past the capacity changes nothing.
    #[must_use]
    pub const fn with(self, index: usize) -> Self {
        if index < Self::CAPACITY { Selection(self.0 | (1 << index)) } else { self }
    }

    /// The components in either selection.
    #[must_use]
    pub const fn union(self, other: Selection) -> Self {
        Selection(self.0 | other.0)
    }

    /// The components in both selections.
    #[must_use]
    pub const fn intersect(self, other: Selection) -> Self {
        Selection(self.0 & other.0)
    }

    /// This selection without the component at `index`.
    #[must_use]
    pub const fn without(self, index: usize) -> Self {
        if index < Self::CAPACITY { Selection(self.0 & !(1 << index)) } else { self }
    }

    /// This selection without the components of `other`.
    #[must_use]
    pub const fn without_all(self, other: Selection) -> Self {
        Selection(self.0 & !other.0)
    }

    /// The selected positions, in order.
    pub fn indices(self) -> impl Iterator<Item = usize> {
        // Word by word: most reports fit the first, and a word's lowest set
        // bit is one instruction away.
        let mut words = [self.0 as u64, (self.0 >> 64) as u64];
        let mut word = 0;
        std::iter::from_fn(move || {
            while word < words.len() {
                let bits = words[word];
                if bits != 0 {
                    // Clears the lowest set bit.
                    words[word] = bits & (bits - 1);
                    return Some(word * 64 + bits.trailing_zeros() as usize);
                }
                word += 1;
            }
            None
        })
    }
}
