//! Kubernetes-style lines: `[+]database ok`, `[-]cache failed: refused`.

use std::fmt::Write as _;

use serde::Serialize;

use super::View;
use crate::report::{ComponentSet, ComponentVisitor};
use crate::{Component, Status};

pub(super) fn render<C: ComponentSet>(view: &View<'_, C>) -> Vec<u8> {
    let mut lines = Lines { details: view.details, text: String::new() };
    view.components.visit_selected(view.selection, &mut lines);
    let mut text = lines.text;
    if let Some(message) = view.message {
        let _ = writeln!(text, "[-]{message}");
    }
    text.push_str(match view.status {
        Status::Up => "health check passed\n",
        Status::Degraded => "health check passed with warnings\n",
        Status::Down => "health check failed\n",
    });
    text.into_bytes()
}

/// One line per component; reasons only when details are shown.
struct Lines {
    details: bool,
    text: String,
}

impl ComponentVisitor for Lines {
    fn component<T: Serialize>(&mut self, _: usize, name: &str, component: &Component<T>) {
        let (mark, word) = match component.status {
            Status::Up => ('+', "ok"),
            Status::Degraded => ('+', "degraded"),
            Status::Down => ('-', "failed"),
        };
        let _ = write!(self.text, "[{mark}]{name} {word}");
        match (&component.message, self.details, component.status) {
            (Some(message), true, _) => {
                let _ = write!(self.text, ": {}", message.replace('\n', " "));
            }
            (_, false, Status::Down | Status::Degraded) => self.text.push_str(": reason withheld"),
            _ => {}
        }
        self.text.push('\n');
    }
}
