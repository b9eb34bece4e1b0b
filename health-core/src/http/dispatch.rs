//! Answering one request: what it asks for (route, query, format, visibility),
//! decided from the request alone, then a read of the monitor rendered in the
//! format asked for.

use std::borrow::Cow;

use bytes::Bytes;
use http::header::{self, HeaderMap};
use http::{Method, Request, Response};
use http_body_util::Full;

use super::bodies::{Bodies, BodyKey};
use super::negotiate::Format;
use super::render::View;
use super::route::Route;
use super::service::Inner;
use super::{RequestError, negotiate, query, response, route};
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
    /// Whether the request may see messages and details.
    details: bool,
}

/// The `Accept` header: its one line, or every line joined with commas.
pub(super) fn accept(headers: &HeaderMap) -> Option<Cow<'_, [u8]>> {
    let mut values = headers.get_all(header::ACCEPT).iter();
    let first = values.next()?;
    let Some(second) = values.next() else { return Some(Cow::Borrowed(first.as_bytes())) };
    let mut list = first.as_bytes().to_vec();
    for value in std::iter::once(second).chain(values) {
        list.push(b',');
        list.extend_from_slice(value.as_bytes());
    }
    Some(Cow::Owned(list))
}

impl<R: ReportSource> Inner<R> {
    /// What `request` asks for, or why it is refused.
    pub(super) fn ask<B>(&self, request: &Request<B>) -> Result<Asked, RequestError> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return Err(RequestError::MethodNotAllowed);
        }
        let path = request.uri().path();
        let rest = path
            .strip_prefix(self.base_path.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .ok_or_else(|| RequestError::NotFound(path.to_owned()))?;
        let catalog = self.monitor.catalog();
        let route = route::resolve(catalog, rest)?;
        let query = query::parse(catalog, request.uri().query())?;
        let format = negotiate::format(query.verbose, accept(request.headers()).as_deref())?;
        let details = self.access.details_shown(request.headers().get(header::AUTHORIZATION))?;
        Ok(Asked { route, exclude: query.exclude, format, details })
    }

    /// The answer to `asked` from `reading`.
    pub(super) fn answer(&self, asked: &Asked, reading: &Reading<R::Components>) -> Response<Full<Bytes>> {
        let Asked { route, exclude, format, details } = *asked;
        let codes = self.codes.get(route.endpoint);
        let Some(snapshot) = reading.snapshot() else {
            let rendered = View::notice(details, "shutting down").render(format);
            return response::report(codes.code(rendered.status), format, rendered.body, None);
        };
        let render = || View::of(snapshot.report(), reading.selection(), reading.status(), details).render(format);
        // Background snapshots serve many requests: each body is rendered once.
        let cached = reading.age().is_some() && exclude.is_empty();
        let bodies = cached.then(|| snapshot.extension(|| Bodies::new(self.monitor.catalog()))).flatten();
        let rendered = match bodies {
            Some(bodies) => bodies.get_or_render(BodyKey { target: route.target, format, details }, render),
            None => render(),
        };
        response::report(codes.code(rendered.status), format, rendered.body, reading.age())
    }
}
