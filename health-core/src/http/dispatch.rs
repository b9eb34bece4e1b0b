//! Answering one request: route, query, format and visibility, then a read of
//! the monitor rendered in the format asked for.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response};
use http_body_util::Full;

use super::bodies::BodyKey;
use super::render::View;
use super::service::Inner;
use super::{RequestError, negotiate, query, response, route};
use crate::ReportSource;
use crate::monitor::Reading;

/// What the service needs of a request; the body is not read.
pub(super) struct Asked {
    method: Method,
    path: String,
    query: Option<String>,
    /// Every `Accept` line, joined with commas.
    accept: Option<Vec<u8>>,
    authorization: Option<HeaderValue>,
}

impl Asked {
    pub(super) fn of<B>(request: &Request<B>) -> Self {
        Asked {
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            query: request.uri().query().map(str::to_owned),
            accept: joined(request.headers().get_all(header::ACCEPT)),
            authorization: request.headers().get(header::AUTHORIZATION).cloned(),
        }
    }
}

/// The values of a repeatable header as one comma-separated list.
pub(super) fn joined(values: http::header::GetAll<'_, HeaderValue>) -> Option<Vec<u8>> {
    let mut list: Option<Vec<u8>> = None;
    for value in values {
        let list = list.get_or_insert_with(Vec::new);
        if !list.is_empty() {
            list.push(b',');
        }
        list.extend_from_slice(value.as_bytes());
    }
    list
}

impl<R: ReportSource> Inner<R> {
    pub(super) async fn answer(&self, asked: &Asked) -> Result<Response<Full<Bytes>>, RequestError> {
        if asked.method != Method::GET && asked.method != Method::HEAD {
            return Err(RequestError::MethodNotAllowed);
        }
        let rest = asked
            .path
            .strip_prefix(self.base_path.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .ok_or_else(|| RequestError::NotFound(asked.path.clone()))?;
        let catalog = self.monitor.catalog();
        let route = route::resolve(catalog, rest)?;
        let query = query::parse(catalog, asked.query.as_deref())?;
        let format = negotiate::format(query.verbose, asked.accept.as_deref())?;
        let details = self.access.details_shown(asked.authorization.as_ref())?;
        let codes = self.codes.get(route.endpoint);

        match self.monitor.read_target(route.target, query.exclude).await {
            Reading::ShuttingDown => {
                let rendered = View::notice(details, "shutting down").render(format);
                Ok(response::report(codes.code(rendered.status), format, rendered.body, None))
            }
            Reading::Report { snapshot, selection, status, background } => {
                let view = View::of(snapshot.report(), selection, status, details);
                let rendered = if background && query.exclude.is_empty() {
                    let key = BodyKey { target: route.target, format, details };
                    self.bodies.get_or_render(catalog, snapshot.generation(), key, || view.render(format))
                } else {
                    view.render(format)
                };
                let age = background.then(|| snapshot.age());
                Ok(response::report(codes.code(rendered.status), format, rendered.body, age))
            }
        }
    }
}
