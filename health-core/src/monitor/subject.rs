//! What a status is about, and the subjects of one monitor.

use std::fmt;
use std::sync::Arc;

use crate::{ComponentInfo, Selection, group};

/// What a status is about: the whole report, one probe group, or one component.
///
/// ```
/// use health_core::monitor::Subject;
///
/// assert_eq!(Subject::group("readiness").to_string(), "group `readiness`");
/// assert_eq!(Subject::component("db").name(), Some("db"));
/// assert_eq!(Subject::Overall.name(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Subject {
    /// Every enabled component, weighed by criticality.
    Overall,
    /// The enabled components of a probe group, weighed by criticality.
    Group(Arc<str>),
    /// One component, by its own status.
    Component(Arc<str>),
}

impl Subject {
    /// The group named `name`.
    pub fn group(name: &str) -> Self {
        Subject::Group(name.into())
    }

    /// The component named `name`.
    pub fn component(name: &str) -> Self {
        Subject::Component(name.into())
    }

    /// The group's or component's name; `None` for the overall status.
    pub fn name(&self) -> Option<&str> {
        match self {
            Subject::Overall => None,
            Subject::Group(name) | Subject::Component(name) => Some(name),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Overall => f.write_str("overall"),
            Subject::Group(name) => write!(f, "group `{name}`"),
            Subject::Component(name) => write!(f, "component `{name}`"),
        }
    }
}

/// A subject of one monitor, resolved to where its facts are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    Overall,
    /// By position in the catalog's groups.
    Group(usize),
    /// By position in the report.
    Component(usize),
}

/// A group the application defines of some components
/// ([`MonitorBuilder::group`](super::MonitorBuilder::group)), beside the
/// groups its checks name.
#[derive(Debug, Clone)]
pub(crate) struct DefinedGroup {
    pub(crate) name: String,
    /// Every member, enabled or not.
    pub(crate) members: Selection,
}

/// A probe group and its enabled members.
#[derive(Debug)]
struct Group {
    subject: Subject,
    members: Selection,
}

/// A group or the whole, with what recording its runs needs at hand.
#[derive(Debug)]
pub(crate) struct Aggregate {
    /// Where its facts are kept.
    pub(crate) position: usize,
    /// Its enabled components.
    pub(crate) members: Selection,
    /// The same, as component positions: what is walked member by member.
    pub(crate) indices: Box<[u8]>,
}

/// The subjects of one monitor: the overall status, every group built in,
/// named by a component or defined by the application, and every enabled
/// component.
#[derive(Debug)]
pub(crate) struct Catalog {
    groups: Vec<Group>,
    /// One per component of the report, disabled ones included.
    components: Vec<Subject>,
    enabled: Selection,
    /// The groups, then the whole, in the order of [`aggregates`](Self::aggregates).
    aggregate_members: Box<[Aggregate]>,
    /// The components whose DOWN makes their group, and the whole, DOWN.
    critical: Selection,
}

impl Catalog {
    pub(crate) fn new(components: &[ComponentInfo], enabled: Selection) -> Self {
        Catalog::with_defined(components, enabled, &[])
    }

    /// The catalog with the groups the application defines, after those the
    /// checks name; their names must be new.
    pub(crate) fn with_defined(components: &[ComponentInfo], enabled: Selection, defined: &[DefinedGroup]) -> Self {
        let enabled = enabled.intersect(Selection::first(components.len()));
        // Built-in groups come first, whether or not a component names them.
        let mut names: Vec<&str> = group::BUILT_IN.to_vec();
        for component in components {
            for group in component.groups() {
                if !names.contains(&group) {
                    names.push(group);
                }
            }
        }
        let named = names.into_iter().map(|name| Group {
            subject: Subject::group(name),
            members: Selection::group(components, name).intersect(enabled),
        });
        let defined = defined
            .iter()
            .map(|group| Group { subject: Subject::group(&group.name), members: group.members.intersect(enabled) });
        let groups = named.chain(defined).collect::<Vec<_>>();
        let critical = Selection::matching(components, ComponentInfo::is_critical);
        let components = components.iter().map(|component| Subject::component(component.name())).collect();
        let aggregate_members = (groups.iter().map(|group| group.members).chain(std::iter::once(enabled)))
            .enumerate()
            .map(|(place, members)| {
                // The groups come first after the whole's position 0, which comes last here.
                let position = if place == groups.len() { 0 } else { 1 + place };
                Aggregate { position, members, indices: positions(members) }
            })
            .collect();
        Catalog { groups, components, enabled, aggregate_members, critical }
    }

    /// Every target: the enabled components, the groups, then the whole, so
    /// that a change is told before the changes it causes.
    pub(crate) fn targets(&self) -> impl Iterator<Item = Target> + '_ {
        self.enabled.indices().map(Target::Component).chain(self.aggregates())
    }

    /// The groups, then the whole: the subjects made of components.
    pub(crate) fn aggregates(&self) -> impl Iterator<Item = Target> + '_ {
        (0..self.groups.len()).map(Target::Group).chain(std::iter::once(Target::Overall))
    }

    pub(crate) fn critical(&self) -> Selection {
        self.critical
    }

    /// How many positions [`position`](Self::position) spans.
    pub(crate) fn positions(&self) -> usize {
        1 + self.groups.len() + self.components.len()
    }

    /// Where facts about `target` are kept in per-subject lists.
    pub(crate) fn position(&self, target: Target) -> usize {
        match target {
            Target::Overall => 0,
            Target::Group(index) => 1 + index,
            Target::Component(index) => 1 + self.groups.len() + index,
        }
    }

    /// The target kept at `position`: the inverse of [`position`](Self::position).
    pub(crate) fn target_at(&self, position: usize) -> Target {
        match position {
            0 => Target::Overall,
            _ if position <= self.groups.len() => Target::Group(position - 1),
            _ => Target::Component(position - 1 - self.groups.len()),
        }
    }

    /// How many components the report has, disabled ones included.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code, reason = "metrics list every component"))]
    pub(crate) fn component_count(&self) -> usize {
        self.components.len()
    }

    pub(crate) fn subject(&self, target: Target) -> &Subject {
        match target {
            Target::Overall => &Subject::Overall,
            Target::Group(index) => &self.groups[index].subject,
            Target::Component(index) => &self.components[index],
        }
    }

    /// Each group, then the whole, with its members: what recording runs walks.
    pub(crate) fn aggregate_members(&self) -> &[Aggregate] {
        &self.aggregate_members
    }

    /// The components the subject is made of.
    pub(crate) fn selection(&self, target: Target) -> Selection {
        match target {
            Target::Overall => self.enabled,
            Target::Group(index) => self.groups[index].members,
            Target::Component(index) => Selection::none().with(index),
        }
    }

    /// Whether `target` turns DOWN once shutdown begins, the one drain rule
    /// every transport answers from: the whole and every group but liveness
    /// drain, so that nothing routes traffic to an instance on its way out;
    /// liveness and each component keep being measured, so that the
    /// orchestrator does not restart a process that drains, and operators
    /// still see its dependencies.
    pub(crate) fn drains(&self, target: Target) -> bool {
        match target {
            Target::Overall => true,
            Target::Group(index) => self.groups[index].subject.name() != Some(group::LIVENESS),
            Target::Component(_) => false,
        }
    }

    pub(crate) fn enabled(&self) -> Selection {
        self.enabled
    }

    pub(crate) fn resolve(&self, subject: &Subject) -> Option<Target> {
        match subject {
            Subject::Overall => Some(Target::Overall),
            Subject::Group(name) => self.group(name),
            Subject::Component(name) => self.component(name),
        }
    }

    pub(crate) fn group(&self, name: &str) -> Option<Target> {
        self.groups.iter().position(|group| group.subject.name() == Some(name)).map(Target::Group)
    }

    /// An enabled component.
    pub(crate) fn component(&self, name: &str) -> Option<Target> {
        let index = self.components.iter().position(|component| component.name() == Some(name))?;
        self.enabled.contains(index).then_some(Target::Component(index))
    }

    /// The groups' names: built-in ones first, then those the checks name,
    /// then those the application defines.
    pub(crate) fn group_names(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().filter_map(|group| group.subject.name())
    }

    /// The names of the groups component `index` belongs to, defined ones
    /// included, disabled components in none.
    #[cfg_attr(not(feature = "ui"), allow(dead_code, reason = "the status page lists each component's groups"))]
    pub(crate) fn groups_of(&self, index: usize) -> impl Iterator<Item = &str> {
        self.groups.iter().filter(move |group| group.members.contains(index)).filter_map(|group| group.subject.name())
    }
}

/// The positions `selection` holds, each below [`Selection::CAPACITY`] and so
/// a byte.
fn positions(selection: Selection) -> Box<[u8]> {
    selection.indices().filter_map(|index| u8::try_from(index).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aggregates_members_are_those_of_each_group_and_the_whole_in_order() {
        let components = [
            ComponentInfo::new("db").with_groups(["readiness", "batch"]),
            ComponentInfo::new("self").with_groups(["liveness"]),
            ComponentInfo::new("off").with_groups(["batch"]),
        ];
        let catalog = Catalog::new(&components, Selection::first(2));
        let listed: Vec<_> = catalog.aggregate_members().iter().map(|a| (a.position, a.members)).collect();
        let expected: Vec<_> = catalog.aggregates().map(|t| (catalog.position(t), catalog.selection(t))).collect();
        assert_eq!(listed, expected);
        for aggregate in catalog.aggregate_members() {
            assert_eq!(
                aggregate.indices.iter().map(|i| usize::from(*i)).collect::<Vec<_>>(),
                aggregate.members.indices().collect::<Vec<_>>()
            );
        }
    }
}
