//! The fake CA's request handlers: directory, nonces, account, order, authorizations and
//! challenges, finalize and certificate download, each bending as the current [`Fault`] says.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::BodyExt;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use rcgen::{CertificateSigningRequestParams, KeyPair};
use serde_json::{Value, json};

use super::paced::{Pace, Paced};
use super::{Ari, Fault, PROFILES, Reply, Shared, State, UNAUTHORIZED_DETAIL};
use crate::support::certs::{ca_issuer, sign_bent, sign_csr, sign_for_new_key};

/// Size of the [`Fault::HugeDirectory`] body: twice acmers' 1 MiB cap.
const HUGE: usize = 2 * 1024 * 1024;

/// The decoded `payload` of a flattened JWS body (`Null` for POST-as-GET or garbage).
fn jws_payload(body: &[u8]) -> Value {
    let jws: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let payload = jws["payload"].as_str().unwrap_or("");
    URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .unwrap_or(Value::Null)
}

fn expires() -> String {
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(7 * 24);
    later.to_string()
}

impl Shared {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn fault(&self) -> Fault {
        self.state.lock().expect("state").fault.clone()
    }

    fn reply(&self, status: StatusCode, content_type: &str, body: String) -> Reply {
        let nonce = {
            let mut state = self.state.lock().expect("state");
            state.nonces += 1;
            URL_SAFE_NO_PAD.encode(format!("fake-nonce-{:08}", state.nonces))
        };
        let mut response = Response::new(Paced::new(Bytes::from(body), Pace::All));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert("replay-nonce", nonce.parse().expect("nonce header"));
        headers.insert("cache-control", "no-store".parse().expect("header"));
        if !content_type.is_empty() {
            headers.insert("content-type", content_type.parse().expect("header"));
        }
        response
    }

    fn json(&self, status: StatusCode, value: &Value) -> Reply {
        self.reply(status, "application/json", value.to_string())
    }

    fn problem(&self, status: StatusCode, kind: &str, detail: &str) -> Reply {
        let body = json!({
            "type": format!("urn:ietf:params:acme:error:{kind}"),
            "detail": detail,
            "status": status.as_u16(),
        });
        self.reply(status, "application/problem+json", body.to_string())
    }

    fn with_header(mut reply: Reply, name: &'static str, value: &str) -> Reply {
        let value = value.parse().expect("header value");
        reply.headers_mut().insert(name, value);
        reply
    }

    fn order(&self, state: &State) -> Value {
        let status = match (state.csr.is_some(), state.valid) {
            (true, _) if state.fault == Fault::FinalizeInvalid => "invalid",
            (_, true) => "valid",
            (true, false) => "processing",
            (false, false) if state.fault.authz_pending() => "pending",
            (false, false) => "ready",
        };
        let count = match state.fault {
            Fault::Authorizations(count) => count,
            _ => state.identifiers.len(),
        };
        let authorizations: Vec<String> = (1..=count)
            .map(|n| self.url(&format!("/authz/{n}")))
            .collect();
        let mut order = json!({
            "status": status,
            "expires": expires(),
            "identifiers": state.identifiers,
            "authorizations": authorizations,
            "finalize": self.url("/finalize/1"),
        });
        if state.valid {
            order["certificate"] = json!(self.url("/cert/1"));
        }
        if status == "invalid" {
            order["error"] = json!({
                "type": "urn:ietf:params:acme:error:badCSR",
                "detail": "the CSR is refused by policy",
                "status": 400,
            });
        }
        order
    }

    /// The answer to `req`, bent by a route fault of [`Fault`]; `None`: close the connection.
    pub(super) async fn handle(&self, req: Request<Incoming>) -> Option<Reply> {
        let (method, path) = (req.method().clone(), req.uri().path().to_owned());
        let body = match req.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => Bytes::new(),
        };
        let route = path.trim_start_matches('/').split('/').next().unwrap_or("");
        *self
            .state
            .lock()
            .expect("state")
            .hits
            .entry(route.to_owned())
            .or_default() += 1;
        let fault = self.fault();
        match fault {
            Fault::Reset(r) if r == route => return None,
            Fault::Silent(r) if r == route => std::future::pending::<()>().await,
            Fault::RedirectLoop(r) if r == route => {
                let reply = self.reply(StatusCode::FOUND, "", String::new());
                return Some(Self::with_header(reply, "location", &self.url(&path)));
            }
            Fault::Replace {
                route: r,
                status,
                content_type,
                body,
            } if r == route => {
                let status = StatusCode::from_u16(status).expect("status");
                return Some(self.reply(status, content_type, body.into()));
            }
            _ => {}
        }
        let mut reply = self.answer(method, route, &path, &body);
        match fault {
            Fault::StallBody(r) if r == route => reply = reply.map(|b| b.at(Pace::Stall)),
            Fault::Trickle(r) if r == route => reply = reply.map(|b| b.at(Pace::Trickle)),
            Fault::Endless(r) if r == route => reply = reply.map(|b| b.at(Pace::Endless)),
            Fault::NoHeader(r, header) if r == route || (r == "*" && route != "nonce") => {
                reply.headers_mut().remove(header);
            }
            Fault::Header(r, header, value) if r == route => {
                reply = Self::with_header(reply, header, value);
            }
            _ => {}
        }
        Some(reply)
    }

    /// The well-behaved answer (apart from the data faults of [`Fault`]).
    fn answer(&self, method: Method, route: &str, path: &str, body: &[u8]) -> Reply {
        let payload = jws_payload(body);
        match (method, route) {
            (Method::GET, "dir") => self.directory(),
            (Method::HEAD, "nonce") => self.reply(StatusCode::OK, "", String::new()),
            (Method::GET, "nonce") => self.reply(StatusCode::NO_CONTENT, "", String::new()),
            (Method::POST, "account" | "acct") => {
                let first = {
                    let mut state = self.state.lock().expect("state");
                    state.accounts += 1;
                    state.accounts == 1 && route == "account"
                };
                let status = if first {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                };
                let account = json!({"status": "valid", "orders": self.url("/acct/1/orders")});
                Self::with_header(
                    self.json(status, &account),
                    "location",
                    &self.url("/acct/1"),
                )
            }
            (Method::POST, "new-order") => self.new_order(&payload),
            (Method::POST, "authz" | "chall") => self.authz(route, path),
            (Method::POST, "finalize") => self.finalize(&payload),
            (Method::POST, "order") => {
                let order = {
                    let mut state = self.state.lock().expect("state");
                    if state.csr.is_some() && !state.stuck {
                        state.valid = true;
                    }
                    self.order(&state)
                };
                let reply = self.json(StatusCode::OK, &order);
                if order["status"] == "processing" {
                    let retry_after = self.state.lock().expect("state").retry_after.clone();
                    Self::with_header(reply, "retry-after", retry_after.as_deref().unwrap_or("1"))
                } else {
                    reply
                }
            }
            (Method::POST, "cert") => self.certificate(),
            (Method::GET, "ari") => self.renewal_info(path),
            _ => self.problem(StatusCode::NOT_FOUND, "malformed", "no such resource"),
        }
    }

    fn directory(&self) -> Reply {
        let mut directory = json!({
            "newNonce": self.url("/nonce"),
            "newAccount": self.url("/account"),
            "newOrder": self.url("/new-order"),
            "revokeCert": self.url("/revoke"),
            "meta": {
                "termsOfService": self.url("/terms"),
                "profiles": PROFILES.iter().map(|(n, d)| (n.to_string(), json!(d))).collect::<serde_json::Map<_, _>>(),
            },
        });
        if self.state.lock().expect("state").ari.is_some() {
            directory["renewalInfo"] = json!(self.url("/ari"));
        }
        match self.fault() {
            Fault::HugeDirectory => {
                let mut body = directory.to_string();
                body.extend(std::iter::repeat_n(' ', HUGE.saturating_sub(body.len())));
                self.reply(StatusCode::OK, "application/json", body)
            }
            Fault::HtmlDirectory => {
                let page = "<!DOCTYPE html>\n<html><head><title>Hotel Wi-Fi login</title></head>\
                            <body><form>Room number: <input name=room></form></body></html>\n";
                self.reply(StatusCode::OK, "text/html; charset=utf-8", page.into())
            }
            _ => self.json(StatusCode::OK, &directory),
        }
    }

    /// `GET /ari/<CertID>`: the scripted renewal window (RFC 9773 §4.2).
    fn renewal_info(&self, path: &str) -> Reply {
        let id = path.trim_start_matches("/ari/").to_owned();
        let ari = {
            let mut state = self.state.lock().expect("state");
            state.ari_ids.push(id);
            state.ari.clone()
        };
        let time = |t: i64| jiff::Timestamp::from_second(t).expect("time").to_string();
        match ari {
            Some(Ari::Window {
                start,
                end,
                explanation,
                retry_after,
            }) => {
                let mut body = json!({"suggestedWindow": {"start": time(start), "end": time(end)}});
                if let Some(url) = explanation {
                    body["explanationURL"] = json!(url);
                }
                let reply = self.json(StatusCode::OK, &body);
                match retry_after {
                    Some(secs) => Self::with_header(reply, "retry-after", &secs.to_string()),
                    None => reply,
                }
            }
            Some(Ari::Status(code)) => {
                let status = StatusCode::from_u16(code).expect("status");
                self.problem(status, "serverInternal", "renewalInfo is not available")
            }
            None => self.problem(StatusCode::NOT_FOUND, "malformed", "no such resource"),
        }
    }

    /// `POST /new-order`: replaces the one order (or refuses it while rate-limited, or
    /// refuses a `replaces` when told to).
    fn new_order(&self, payload: &Value) -> Reply {
        let refuse = {
            let mut state = self.state.lock().expect("state");
            state.new_orders.push(payload.clone());
            let refuse = payload.get("replaces").is_some() && state.refuse_replaces > 0;
            if refuse {
                state.refuse_replaces -= 1;
            }
            refuse
        };
        if refuse {
            return self.problem(
                StatusCode::CONFLICT,
                "alreadyReplaced",
                "the certificate named in 'replaces' was already replaced",
            );
        }
        if self.fault() == Fault::RateLimited {
            let reply = self.problem(
                StatusCode::TOO_MANY_REQUESTS,
                "rateLimited",
                "too many new orders recently: see https://fake.invalid/rate-limits",
            );
            return Self::with_header(reply, "retry-after", "3600");
        }
        if self.fault() == Fault::Unavailable {
            return self.problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "serverInternal",
                "the service is down for maintenance",
            );
        }
        let order = {
            let mut state = self.state.lock().expect("state");
            state.identifiers = payload["identifiers"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            state.csr = None;
            state.valid = false;
            state.challenged.clear();
            self.order(&state)
        };
        let reply = self.json(StatusCode::CREATED, &order);
        Self::with_header(reply, "location", &self.url("/order/1"))
    }

    /// `POST /authz/N` or `POST /chall/N`: the authorization or its challenge. The
    /// authorization offers it as http-01 and as tls-alpn-01 (one URL, one token, one state).
    fn authz(&self, route: &str, path: &str) -> Reply {
        let n: usize = path
            .rsplit('/')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let mut state = self.state.lock().expect("state");
        let identifier = match &state.fault {
            Fault::ForeignAuthz(name) => Some(json!({"type": "dns", "value": name})),
            // Authorization N of many is for the first name ordered.
            Fault::Authorizations(count) if (1..=*count).contains(&n) => {
                state.identifiers.first().cloned()
            }
            _ => n
                .checked_sub(1)
                .and_then(|i| state.identifiers.get(i).cloned()),
        };
        let Some(identifier) = identifier else {
            drop(state);
            return self.problem(StatusCode::NOT_FOUND, "malformed", "no such authorization");
        };
        let fault = state.fault.clone();
        let token = match &fault {
            Fault::Token(token) => token.clone(),
            _ => URL_SAFE_NO_PAD.encode(format!("fake-token-{n:022}")),
        };
        if route == "chall" && fault.authz_pending() {
            state.challenged.insert(n);
            let seen = state.webroot.as_ref().map(|root| {
                let file = root.join(".well-known/acme-challenge").join(&token);
                std::fs::read_to_string(file).ok()
            });
            if let Some(seen) = seen {
                state.presented.push(seen);
            }
        }
        let challenged = state.challenged.contains(&n);
        drop(state);

        let mut challenge = json!({
            "type": "http-01",
            "url": self.url(&format!("/chall/{n}")),
            "status": "pending",
            "token": token,
        });
        let authz_status = match (&fault, challenged) {
            (f, _) if !f.authz_pending() => {
                challenge["status"] = json!("valid");
                challenge["validated"] = json!(jiff::Timestamp::now().to_string());
                "valid"
            }
            (_, false) => "pending",
            (Fault::ChallengeInvalid, true) if route == "authz" => {
                challenge["status"] = json!("invalid");
                challenge["error"] = json!({
                    "type": "urn:ietf:params:acme:error:unauthorized",
                    "detail": UNAUTHORIZED_DETAIL,
                    "status": 403,
                });
                "invalid"
            }
            (_, true) => {
                challenge["status"] = json!("processing");
                "pending"
            }
        };
        let body = if route == "chall" {
            challenge
        } else {
            let mut alpn = challenge.clone();
            alpn["type"] = json!("tls-alpn-01");
            json!({
                "status": authz_status,
                "expires": expires(),
                "identifier": identifier,
                "challenges": [challenge, alpn],
            })
        };
        self.json(StatusCode::OK, &body)
    }

    fn finalize(&self, payload: &Value) -> Reply {
        let csr = payload["csr"]
            .as_str()
            .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok());
        let Some(csr) = csr else {
            return self.problem(StatusCode::BAD_REQUEST, "badCSR", "no csr in payload");
        };
        if let Err(e) = CertificateSigningRequestParams::from_der(&csr.as_slice().into()) {
            let detail = format!("cannot parse CSR: {e}");
            return self.problem(StatusCode::BAD_REQUEST, "badCSR", &detail);
        }
        let order = {
            let mut state = self.state.lock().expect("state");
            state.csr = Some(csr);
            self.order(&state)
        };
        let reply = self.json(StatusCode::OK, &order);
        let reply = Self::with_header(reply, "location", &self.url("/order/1"));
        Self::with_header(reply, "retry-after", "1")
    }

    fn certificate(&self) -> Reply {
        let (csr, identifiers, fault) = {
            let state = self.state.lock().expect("state");
            let csr = state.csr.clone().filter(|_| state.valid);
            (csr, state.identifiers.clone(), state.fault.clone())
        };
        let Some(csr) = csr else {
            return self.problem(StatusCode::NOT_FOUND, "malformed", "no certificate yet");
        };
        let names: Vec<String> = identifiers
            .iter()
            .filter_map(|id| id["value"].as_str().map(str::to_owned))
            .collect();
        let ordered: Vec<&str> = names.iter().map(String::as_str).collect();
        let issuer = &self.intermediate;
        let chain = match fault {
            Fault::WrongKey => sign_for_new_key(&names, issuer),
            Fault::MissingSan => sign_bent(&csr, &["other.example.test"], false, issuer, issuer),
            Fault::Expired => sign_bent(&csr, &ordered, true, issuer, issuer),
            Fault::NotChaining => {
                sign_bent(&csr, &ordered, false, &ca_issuer("stranger", None), issuer)
            }
            Fault::PrivateKeyInChain => sign_csr(&csr, &self.intermediate, &names)
                .and_then(|chain| Ok(format!("{chain}{}", KeyPair::generate()?.serialize_pem()))),
            _ => sign_csr(&csr, &self.intermediate, &names),
        };
        match chain {
            Ok(chain) => self.reply(StatusCode::OK, "application/pem-certificate-chain", chain),
            Err(e) => {
                let detail = format!("cannot sign: {e}");
                self.problem(StatusCode::INTERNAL_SERVER_ERROR, "serverInternal", &detail)
            }
        }
    }
}
