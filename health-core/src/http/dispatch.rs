//! From a request to its answer: what it asks for, checked in order, then
//! the answer from a reading of the monitor.

use super::bodies::{Bodies, BodyKey};
use super::endpoints::Inner;
use super::negotiate::Format;
use super::render::View;
use super::route::Route;
use super::visibility::Shown;
use super::{HealthRequest, HealthResponse, RequestError, negotiate, query, route};
use crate::ReportSource;
use crate::monitor::Reading;
use crate::report::Selection;

/// What a valid request asks for: all the answer needs of it, so that the
/// request itself (its strings, its headers) is not kept while checks run.
#[derive(Debug, Clone, Copy)]
pub(super) struct Asked {
    pub(super) route: Route,
    pub(super) exclude: Selection,
    format: Format,
    /// What the request may see beyond statuses.
    shown: Shown,
}

impl<R: ReportSource> Inner<R> {
    /// What `request` asks for, or why it is refused.
    pub(super) fn ask(&self, request: &HealthRequest<'_>) -> Result<Asked, RequestError> {
        if !request.is_read() {
            return Err(RequestError::MethodNotAllowed);
        }
        let path = request.path();
        let rest = path
            .strip_prefix(self.base_path.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .ok_or_else(|| RequestError::NotFound(path.to_owned()))?;
        let catalog = self.monitor.catalog();
        let route = route::resolve(catalog, rest)?;
        let query = query::parse(catalog, request.query_text())?;
        let format = negotiate::format(query.verbose, request.accept_header())?;
        let shown = self.access.shown(request.authorization_header())?;
        Ok(Asked { route, exclude: query.exclude, format, shown })
    }

    /// The answer to `asked` from `reading`.
    pub(super) fn answer(&self, asked: &Asked, reading: &Reading<R::Components>) -> HealthResponse {
        let Asked { route, exclude, format, shown } = *asked;
        let codes = self.codes.of(self.monitor.catalog(), route.target);
        let Some(snapshot) = reading.snapshot() else {
            let rendered = View::notice(shown, "shutting down").render(format);
            return HealthResponse::report(codes.of(rendered.status).as_u16(), format, rendered.body, None);
        };
        let render = || View::of(snapshot.report(), reading.selection(), reading.status(), shown).render(format);
        // Background snapshots serve many requests: each body is rendered once.
        let cached = reading.age().is_some() && exclude.is_empty();
        let bodies = cached.then(|| snapshot.extension(|| Bodies::new(self.monitor.catalog()))).flatten();
        let rendered = match bodies {
            Some(bodies) => bodies.get_or_render(BodyKey { target: route.target, format, shown }, render),
            None => render(),
        };
        HealthResponse::report(codes.of(rendered.status).as_u16(), format, rendered.body, reading.age())
    }
}
