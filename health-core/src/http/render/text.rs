//! Kubernetes-style lines: `[+]database ok`, `[-]cache failed: refused`.

use std::fmt::Write as _;

use serde::Serialize;

use super::View;
use crate::http::visibility::Shown;
use crate::report::{ComponentSet, ComponentVisitor};
use crate::{Component, Status};

pub(super) fn render<C: ComponentSet>(view: &View<'_, C>) -> Vec<u8> {
    let mut lines = Lines { shown: view.shown, text: String::new() };
    view.components.visit_selected(view.selection, &mut lines);
    let mut text = lines.text;
    if let Some(message) = view.message {
        text.push_str("[-]");
        text.extend(message.chars().map(on_one_line));
        text.push('\n');
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
    shown: Shown,
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
        if let Some(message) = self.shown.message(component) {
            self.text.push_str(": ");
            self.text.extend(message.chars().map(on_one_line));
        } else if self.shown.withholds_reason(component.status) {
            self.text.push_str(": reason withheld");
        }
        self.text.push('\n');
    }
}

/// A space for anything a reader may take for a line break (`\r`, vertical
/// tab, form feed, NEL, the Unicode line and paragraph separators) or that
/// would garble a terminal: every component keeps to one line.
fn on_one_line(c: char) -> char {
    if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') { ' ' } else { c }
}
