//! A fake provider API for unit tests: an [`HttpClient`] that answers each request with a
//! handler standing in for the provider's service (checking tokens and signatures as the
//! real service does) and records every request. No socket is opened: the provider under
//! test gets it as its `Context::http`.

use std::sync::{Arc, Mutex, PoisonError};

use crate::acme::http::{BoxFuture, HttpClient, HttpError, Request, Response};

/// What the handler answers: status, body, and response headers.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Answer {
    /// A JSON (or any text) body with `status`.
    pub(crate) fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
        }
    }
}

type Handler = dyn Fn(&Request) -> Answer + Send + Sync;

/// The fake service: a handler plus the requests it got.
#[derive(Clone)]
pub(crate) struct FakeApi {
    handler: Arc<Handler>,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl FakeApi {
    /// A fake answering with `handler`.
    pub(crate) fn new(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Self {
        Self {
            handler: Arc::new(handler),
            requests: Arc::default(),
        }
    }

    /// Every request so far, in order.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl HttpClient for FakeApi {
    fn request(&self, request: Request) -> BoxFuture<'_, Result<Response, HttpError>> {
        let answer = (self.handler)(&request);
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in answer.headers {
            if let Ok(value) = value.parse() {
                headers.insert(name, value);
            }
        }
        Box::pin(std::future::ready(Ok(Response {
            status: answer.status,
            headers,
            body: answer.body.into_bytes(),
            elapsed: std::time::Duration::ZERO,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_with_the_handler_and_records_requests() {
        let fake = FakeApi::new(|r| Answer::new(201, format!("{} {}", r.method, r.url.path())));
        let url = url::Url::parse("https://api.example/zones").unwrap();
        let response = fake
            .request(Request::new(reqwest::Method::PUT, url))
            .await
            .unwrap();
        assert_eq!(response.status, 201);
        assert_eq!(response.body, b"PUT /zones");
        assert_eq!(fake.requests().len(), 1);
    }
}
