//! The helper's `http` operation, for the library's `_get` and `_post`: one request through
//! acmers' own client ([`ReqwestClient`] with the run's configuration: connect, read-idle and
//! total time limits, the 1 MiB body cap, at most 3 redirects and never HTTPS to HTTP, and the
//! `CA_BUNDLE` roots), as acme.sh's `curl --silent --dump-header "$HTTP_HEADER" -L` call.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};

use super::{Error, codec, stdin};
use crate::acme::http::{HttpClient as _, HttpError, Request, ReqwestClient, Response};
use crate::acme::text::one_line;

/// curl's exit codes for what went wrong, so plugins that print them stay meaningful.
mod curl {
    pub(super) const BAD_URL: u8 = 3;
    pub(super) const NO_CONNECTION: u8 = 7;
    pub(super) const TIMEOUT: u8 = 28;
    pub(super) const TOO_MANY_REDIRECTS: u8 = 47;
    pub(super) const TOO_LARGE: u8 = 63;
    pub(super) const BAD_CA_BUNDLE: u8 = 77;
}

/// `http METHOD HEADER_FILE CONTENT_TYPE body|nobody [base64]`, the URL in `url`: what goes to
/// stdout (the body, its base64 with `base64`, the header block for `HEAD`).
pub(super) fn run(args: &[String], url: &str) -> Result<Vec<u8>, Error> {
    let [method, header_file, content_type, body, rest @ ..] = args else {
        return Err(Error::Usage(
            "http METHOD HEADER_FILE CONTENT_TYPE body|nobody [base64]".into(),
        ));
    };
    let shown = redact(url);
    let failed = |code, what: String| Error::Http {
        code,
        message: format!("{method} {shown}: {what}"),
    };
    let parsed = Url::parse(url).map_err(|e| failed(curl::BAD_URL, format!("not a URL ({e})")))?;
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| failed(curl::BAD_URL, "not an HTTP method".into()))?;
    let head = method == Method::HEAD;
    let mut request = Request::new(method, parsed);
    request.body = (body == "body").then(stdin).transpose()?;
    if !content_type.is_empty() {
        request
            .headers
            .insert(CONTENT_TYPE, header_value(content_type)?);
    }
    add_extra_headers(&mut request.headers)?;
    if request.body.is_some() && !request.headers.contains_key(CONTENT_TYPE) {
        // curl's --data default.
        request.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    }
    // Transport errors name the URL as the HTTP stack normalized it.
    let full = request.url.to_string();
    let response =
        send(request).map_err(|(code, what)| failed(code, what.replace(&full, &shown)))?;
    let headers = header_block(&response);
    if !header_file.is_empty() {
        write_header_file(header_file, &headers)?;
    }
    Ok(if head {
        headers.into_bytes()
    } else if rest.iter().any(|flag| flag == "base64") {
        codec::base64(&response.body, false).into_bytes()
    } else {
        response.body
    })
}

/// The URL without its query, fragment and password, for messages (API keys often travel in
/// the query).
fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or_default().to_owned(),
    }
}

fn header_value(value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::Invalid("a request header value holds a control character".into()))
}

/// The plugin's extra request headers, `_H1` to `_H5`, each `Name: value`; `Name:` with no
/// value removes the header, as curl's `-H` does; empty ones are ignored.
fn add_extra_headers(headers: &mut HeaderMap) -> Result<(), Error> {
    for var in ["_H1", "_H2", "_H3", "_H4", "_H5"] {
        let line = std::env::var(var).unwrap_or_default();
        if line.trim().is_empty() {
            continue;
        }
        let invalid = || Error::Invalid(format!("`{var}` is not a `Name: value` header"));
        let (name, value) = line.split_once(':').ok_or_else(invalid)?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| invalid())?;
        let value = value.trim();
        if value.is_empty() {
            headers.remove(&name);
        } else {
            headers.insert(name, header_value(value)?);
        }
    }
    Ok(())
}

/// One request on a private runtime; a failure as curl's exit code and a message.
fn send(request: Request) -> Result<Response, (u8, String)> {
    let ca_bundle = std::env::var_os("CA_BUNDLE").filter(|v| !v.is_empty());
    let run = crate::https::RunOptions::from_env(&|key| std::env::var(key).ok());
    let mut config = crate::https::config_for(ca_bundle.as_deref().map(std::path::Path::new), &run)
        .map_err(|e| (curl::BAD_CA_BUNDLE, one_line(&e)))?;
    // acme.sh's plugins get `curl -L`'s redirects (HTTPS is still never downgraded).
    config.cross_origin_redirects = true;
    let client = ReqwestClient::new(&config).map_err(|e| (curl::BAD_CA_BUNDLE, one_line(&e)))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| (curl::NO_CONNECTION, e.to_string()))?;
    runtime.block_on(client.request(request)).map_err(|e| {
        let code = match &e {
            HttpError::Transport { timeout: true, .. } => curl::TIMEOUT,
            HttpError::Transport { .. } => curl::NO_CONNECTION,
            HttpError::TooLarge => curl::TOO_LARGE,
            HttpError::Redirect(_) => curl::TOO_MANY_REDIRECTS,
        };
        (code, one_line(&e))
    })
}

/// The response's status line and headers as curl's `--dump-header` writes them (CRLF line
/// ends, an empty line last). Header names come back in lower case from the HTTP stack; they
/// are written in the usual `Title-Case` (`Set-Cookie`, `X-Subject-Token`).
fn header_block(response: &Response) -> String {
    let reason = StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or_default();
    let mut block = format!("HTTP/1.1 {} {reason}\r\n", response.status);
    for (name, value) in &response.headers {
        block.push_str(&title_case(name.as_str()));
        block.push_str(": ");
        block.push_str(&String::from_utf8_lossy(value.as_bytes()));
        block.push_str("\r\n");
    }
    block.push_str("\r\n");
    block
}

fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `$HTTP_HEADER`, replaced (created 0600), as curl writes it.
fn write_header_file(path: &str, block: &str) -> Result<(), Error> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| file.write_all(block.as_bytes()))
        .map_err(|source| Error::Output {
            what: format!("the response headers to `{path}`"),
            source,
        })
}
