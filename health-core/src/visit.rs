//! Going over the typed components of a report without knowing their types.

use serde::Serialize;

use crate::Component;

/// The typed results of a report's components, visitable one by one: output
/// formats are written once, as visitors, for every report type.
///
/// `#[derive(HealthReport)]` implements it for the `<Struct>Components` type.
pub trait ComponentSet {
    /// Calls `visitor` with each component, in declaration order.
    fn visit<V: ComponentVisitor>(&self, visitor: &mut V);
}

/// Receives the components of a [`ComponentSet`].
pub trait ComponentVisitor {
    /// One component: its position, its name and its result.
    fn component<T: Serialize>(&mut self, index: usize, name: &'static str, component: &Component<T>);
}
