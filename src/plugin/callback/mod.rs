//! The hidden `acmers --acmers-plugin-helper <op> [args…]`: what the helper library
//! ([`LIB`](super::LIB)) calls for everything that does HTTP, crypto, encodings or conf
//! writes, so acmers' TLS trust, time limits, body cap and atomic 0600 conf writes apply and
//! neither curl nor openssl is needed (docs/plugins.md). It is not a user command: the command
//! layer dispatches it before parsing the command line, and `--help` never shows it.
//!
//! Data comes on stdin (at most 1 MiB) and results go to stdout. The secret argument of an
//! operation (a URL, an HMAC key, a conf value) comes in the variable `ACMERS_VALUE`, never on
//! the command line, which other users can see in `ps`. A failure is one line on stderr (the
//! library makes it an `_err` line) and a non-zero exit: 1, or curl's code for HTTP.
//!
//! | op | arguments | stdin | stdout |
//! |---|---|---|---|
//! | `http` | METHOD HEADER_FILE CONTENT_TYPE `body`/`nobody` [`base64`]; URL in `ACMERS_VALUE`, headers in `_H1`..`_H5` | the body | the body (the headers for `HEAD`) |
//! | `digest` | ALG \[`hex`\] | data | base64, or hex |
//! | `hmac` | ALG \[`hex`\]; key (hex) in `ACMERS_VALUE` | data | bytes, or hex |
//! | `base64` | \[`multiline`\] | data | base64 |
//! | `dbase64` | | base64 | data |
//! | `hex` | | data | ` 61 62` |
//! | `h2b` | | hex | data |
//! | `urlencode` | \[`upper-hex`\] | text | percent-encoded |
//! | `json-encode` | | text | escaped |
//! | `idn` | NAMES | | punycode |
//! | `conf-get` | FILE KEY | | the value |
//! | `conf-set` | FILE KEY [`base64`]; value in `ACMERS_VALUE` | | |
//! | `conf-clear` | FILE KEY | | |
//! | `conf-move` | FILE OLD NEW [`base64`] | | `moved`, when it did |
//! | `conf-vars` | FILE | | `KEY='value'` lines |

mod codec;
mod conf;
mod http;

use std::ffi::OsString;
use std::io::{self, Read as _, Write as _};
use std::process::ExitCode;

use crate::acme::http::MAX_BODY;

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Unknown operation or wrong arguments.
    #[error("acmers plugin helper: usage: {0}")]
    Usage(String),
    /// Input that cannot be used (bad hex or base64, an unsupported algorithm, a bad key).
    #[error("{0}")]
    Invalid(String),
    /// Stdin could not be read.
    #[error("cannot read the input")]
    Stdin(#[source] io::Error),
    /// Stdin held more than 1 MiB.
    #[error("the input is larger than {MAX_BODY} bytes")]
    TooLarge,
    /// A request got no response.
    #[error("{message}")]
    Http {
        /// curl's exit code for the failure.
        code: u8,
        /// What was asked (URL without its query) and what went wrong.
        message: String,
    },
    /// A result could not be written.
    #[error("cannot write {what}")]
    Output {
        /// What.
        what: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A conf file could not be read or written.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

impl Error {
    fn code(&self) -> u8 {
        match self {
            Self::Http { code, .. } => *code,
            _ => 1,
        }
    }
}

/// Run the operation `args[0]` with the rest of `args`; the process's exit code.
pub fn main(args: &[OsString]) -> ExitCode {
    let result = args
        .iter()
        .map(|a| a.clone().into_string())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| Error::Usage("arguments must be UTF-8".into()))
        .and_then(|args| run(&args));
    let written = result.and_then(|out| {
        let mut stdout = io::stdout().lock();
        match stdout.write_all(&out).and_then(|()| stdout.flush()) {
            // A reader that stopped early (`| head -n 1`) is not an error of ours.
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::Output {
                what: "to stdout".into(),
                source: e,
            }),
            _ => Ok(()),
        }
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", crate::acme::text::one_line(&e));
            ExitCode::from(e.code())
        }
    }
}

/// The operation's stdout.
fn run(args: &[String]) -> Result<Vec<u8>, Error> {
    let value = || std::env::var("ACMERS_VALUE").unwrap_or_default();
    let flag = |i: usize| args.get(i).is_some_and(|a| !a.is_empty());
    let arg = |i: usize, usage: &str| {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| Error::Usage(usage.into()))
    };
    let op = arg(0, "<op> [args…]")?;
    let out = match op {
        "http" => http::run(&args[1..], &value())?,
        "digest" => {
            let digest = codec::digest(arg(1, "digest ALG [hex]")?, &stdin()?)?;
            if flag(2) {
                codec::hex(&digest).into_bytes()
            } else {
                codec::base64(&digest, false).into_bytes()
            }
        }
        "hmac" => {
            let mac = codec::hmac(arg(1, "hmac ALG [hex]")?, &value(), &stdin()?)?;
            if flag(2) {
                codec::hex(&mac).into_bytes()
            } else {
                mac
            }
        }
        "base64" => codec::base64(&stdin()?, flag(1)).into_bytes(),
        "dbase64" => codec::dbase64(&stdin()?)?,
        "hex" => codec::hex_dump(&stdin()?).into_bytes(),
        "h2b" => codec::h2b(&stdin()?)?,
        "urlencode" => {
            codec::url_encode(&stdin()?, args.get(1).is_some_and(|a| a == "upper-hex")).into_bytes()
        }
        "json-encode" => codec::json_encode(&String::from_utf8_lossy(&stdin()?)).into_bytes(),
        "idn" => codec::idn(arg(1, "idn NAMES")?)?.into_bytes(),
        "conf-get" => {
            conf::get(arg(1, "conf-get FILE KEY")?, arg(2, "conf-get FILE KEY")?)?.into_bytes()
        }
        "conf-set" => {
            let usage = "conf-set FILE KEY [base64]";
            conf::set(arg(1, usage)?, arg(2, usage)?, &value(), flag(3))?;
            Vec::new()
        }
        "conf-clear" => {
            conf::clear(
                arg(1, "conf-clear FILE KEY")?,
                arg(2, "conf-clear FILE KEY")?,
            )?;
            Vec::new()
        }
        "conf-move" => {
            let usage = "conf-move FILE OLD NEW [base64]";
            let moved = conf::move_key(arg(1, usage)?, arg(2, usage)?, arg(3, usage)?, flag(4))?;
            if moved { b"moved".to_vec() } else { Vec::new() }
        }
        "conf-vars" => conf::vars(arg(1, "conf-vars FILE")?)?.into_bytes(),
        other => return Err(Error::Usage(format!("unknown operation `{other}`"))),
    };
    Ok(out)
}

/// Stdin, at most [`MAX_BODY`] bytes.
fn stdin() -> Result<Vec<u8>, Error> {
    let mut data = Vec::new();
    io::stdin()
        .lock()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut data)
        .map_err(Error::Stdin)?;
    if data.len() > MAX_BODY {
        return Err(Error::TooLarge);
    }
    Ok(data)
}
