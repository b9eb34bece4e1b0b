//! Going over the typed components of a report without knowing their types.

use std::fmt;

use serde::Serialize;

use crate::{Component, Selection};

/// The typed results of a report's components, visitable one by one: output
/// formats are written once, as visitors, for every report type.
///
/// `#[derive(HealthReport)]` implements it for the `<Struct>Components` type,
/// and [`DynamicComponents`](crate::DynamicComponents) for registries.
///
/// ```
/// use health_core::report::{ComponentSet, ComponentVisitor};
/// use health_core::{health_check, Component, HealthReport};
///
/// #[health_check]
/// async fn ping() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { ping: PingCheck }
///
/// struct Names(Vec<String>);
///
/// impl ComponentVisitor for Names {
///     fn component<T: serde::Serialize>(&mut self, _index: usize, name: &str, _: &Component<T>) {
///         self.0.push(name.to_owned());
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let report = Health::default().report(&()).await;
/// let mut names = Names(Vec::new());
/// report.components.visit(&mut names);
/// assert_eq!(names.0, ["ping"]);
/// # }
/// ```
pub trait ComponentSet {
    /// Calls `visitor` with each component, in declaration order.
    fn visit<V: ComponentVisitor>(&self, visitor: &mut V);

    /// Calls `visitor` with each component in `selection`, in declaration order.
    fn visit_selected<V: ComponentVisitor>(&self, selection: Selection, visitor: &mut V) {
        self.visit(&mut Only { selection, visitor });
    }
}

/// Receives the components of a [`ComponentSet`].
pub trait ComponentVisitor {
    /// One component: its position, its name and its result.
    fn component<T: Serialize>(&mut self, index: usize, name: &str, component: &Component<T>);
}

/// Passes on the selected components only: the one place a visit is filtered.
struct Only<'v, V> {
    selection: Selection,
    visitor: &'v mut V,
}

impl<V: ComponentVisitor> ComponentVisitor for Only<'_, V> {
    fn component<T: Serialize>(&mut self, index: usize, name: &str, component: &Component<T>) {
        if self.selection.contains(index) {
            self.visitor.component(index, name, component);
        }
    }
}

/// `name { component: Component { .. }, .. }`, details shown as JSON.
pub(crate) fn debug_components<C: ComponentSet + ?Sized>(
    name: &str,
    components: &C,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    struct Fields<'a, 'b> {
        debug: fmt::DebugStruct<'a, 'b>,
    }
    impl ComponentVisitor for Fields<'_, '_> {
        fn component<T: Serialize>(&mut self, _: usize, name: &str, component: &Component<T>) {
            self.debug.field(name, &AsJson(component));
        }
    }
    let mut fields = Fields { debug: f.debug_struct(name) };
    components.visit(&mut fields);
    fields.debug.finish()
}

/// A component with its details shown as JSON.
struct AsJson<'c, T>(&'c Component<T>);

impl<T: Serialize> fmt::Debug for AsJson<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let component = self.0;
        let details = component.details.as_ref().map(|details| match serde_json::to_string(details) {
            Ok(json) => json,
            Err(error) => format!("<not serializable: {error}>"),
        });
        f.debug_struct("Component")
            .field("status", &component.status)
            .field("critical", &component.critical)
            .field("duration", &component.duration)
            .field("message", &component.message)
            .field("details", &details)
            .field("ran_at", &component.ran_at)
            .finish()
    }
}
