//! TSIG keys (RFC 8945) as `nsupdate` reads them: the key file behind `nsupdate -k` (acme.sh's
//! `NSUPDATE_KEY`) and the `-y [alg:]name:secret` string (which acme.sh passes through
//! `NSUPDATE_OPT`).
//!
//! A key file is one of:
//! - a BIND `key` clause, as `tsig-keygen` and `ddns-confgen` write it:
//!   `key "name" { algorithm hmac-sha256; secret "base64"; };` (comments in `#`, `//` and
//!   `/* */` style allowed);
//! - a key pair made by an old `dnssec-keygen -a HMAC-…` (`K<name>.+<alg>+<id>.key` holding a
//!   `KEY` record, or the `.private` file beside it), which acme.sh users still point
//!   `NSUPDATE_KEY` at.
//!
//! acmers signs with HMAC-SHA256, -SHA384 and -SHA512 only. An `hmac-md5` or `hmac-sha1`
//! key is refused with the command that makes a new one. The secret never appears in an
//! error or in `Debug` output.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The HMAC algorithms acmers signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// `hmac-sha256` (what `tsig-keygen` makes by default).
    HmacSha256,
    /// `hmac-sha384`.
    HmacSha384,
    /// `hmac-sha512`.
    HmacSha512,
}

impl Algorithm {
    /// BIND's name for it (`hmac-sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha384 => "hmac-sha384",
            Self::HmacSha512 => "hmac-sha512",
        }
    }

    /// The algorithm called `name` in a key file or a `-y` string (case-insensitive).
    fn from_name(name: &str, key: &str) -> Result<Self, KeyError> {
        match name.to_ascii_lowercase().as_str() {
            "hmac-sha256" => Ok(Self::HmacSha256),
            "hmac-sha384" => Ok(Self::HmacSha384),
            "hmac-sha512" => Ok(Self::HmacSha512),
            _ => Err(KeyError::Unsupported {
                algorithm: name.to_owned(),
                key: key.to_owned(),
            }),
        }
    }

    /// The algorithm of DNSSEC algorithm number `number` (the `+165+` of a `dnssec-keygen`
    /// file name, RFC 4034 and BIND's private numbers 157 and 161–165).
    fn from_number(number: u8, key: &str) -> Result<Self, KeyError> {
        let name = match number {
            157 => "hmac-md5",
            161 => "hmac-sha1",
            162 => "hmac-sha224",
            163 => "hmac-sha256",
            164 => "hmac-sha384",
            165 => "hmac-sha512",
            _ => {
                return Err(KeyError::Syntax(format!(
                    "unknown algorithm number {number}"
                )));
            }
        };
        Self::from_name(name, key)
    }
}

/// A TSIG key: its name, algorithm and secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    name: String,
    algorithm: Algorithm,
    secret: Vec<u8>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// Why a key could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not a key in a known format.
    #[error("{0}")]
    Syntax(String),
    /// The key uses an algorithm acmers cannot sign with.
    #[error(
        "key `{key}` uses {algorithm}, which acmers cannot sign with (only hmac-sha256, \
         hmac-sha384 and hmac-sha512): make a new key with `tsig-keygen -a hmac-sha256 {key}`, \
         put it in the DNS server's configuration in place of the old one, and use the new \
         key"
    )]
    Unsupported {
        /// The algorithm as written (`hmac-md5`).
        algorithm: String,
        /// The key's name.
        key: String,
    },
}

fn syntax(message: impl Into<String>) -> KeyError {
    KeyError::Syntax(message.into())
}

impl Key {
    /// A key from its parts; `name` may end with a dot, `secret` is base64.
    ///
    /// # Errors
    ///
    /// [`KeyError::Syntax`] for an empty name or a secret that is not base64.
    pub fn new(name: &str, algorithm: Algorithm, secret: &str) -> Result<Self, KeyError> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() {
            return Err(syntax("the key has no name"));
        }
        let secret = STANDARD
            .decode(secret.trim())
            .map_err(|_| syntax(format!("the secret of key `{name}` is not base64")))?;
        if secret.is_empty() {
            return Err(syntax(format!("the secret of key `{name}` is empty")));
        }
        Ok(Self {
            name,
            algorithm,
            secret,
        })
    }

    /// The key's name, lower case, without a trailing dot.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The decoded secret.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// Parse the key file `file_name` (its name matters only for a `dnssec-keygen`
    /// `.private` file, whose key name is in the file name) with contents `text`.
    ///
    /// # Errors
    ///
    /// [`KeyError`]: not a key in a format listed in the module documentation, or not an
    /// HMAC-SHA256/384/512 key. No error quotes the secret.
    pub fn from_file(file_name: &str, text: &str) -> Result<Self, KeyError> {
        if text.contains("Private-key-format:") {
            return Self::from_private(file_name, text);
        }
        let record = text.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(';').next()?.split_whitespace().collect();
            let at = fields.iter().position(|w| w.eq_ignore_ascii_case("KEY"))?;
            (at > 0).then(|| (fields[0], fields[at + 1..].to_vec()))
        });
        match record {
            Some((name, rdata)) => Self::from_key_record(name, &rdata),
            None => Self::from_clause(&tokenize(text)?),
        }
    }

    /// Parse `nsupdate -y`'s `[alg:]name:secret`. Without `alg`, nsupdate uses hmac-md5,
    /// which acmers cannot sign with.
    ///
    /// # Errors
    ///
    /// [`KeyError`] for a malformed string or an algorithm other than HMAC-SHA256/384/512.
    pub fn from_spec(spec: &str) -> Result<Self, KeyError> {
        let parts: Vec<&str> = spec.split(':').collect();
        let (algorithm, name, secret) = match parts.as_slice() {
            [name, secret] => ("hmac-md5", *name, *secret),
            [algorithm, name, secret] => (*algorithm, *name, *secret),
            _ => return Err(syntax("expected `-y [alg:]name:secret`")),
        };
        Self::new(name, Algorithm::from_name(algorithm, name)?, secret)
    }

    /// `key NAME { algorithm ALG; secret "…"; };`, and nothing else.
    fn from_clause(tokens: &[String]) -> Result<Self, KeyError> {
        let mut rest = tokens.iter().map(String::as_str);
        let mut next = |what: &str| {
            rest.next().ok_or_else(|| {
                syntax(format!(
                    "not a TSIG key file: expected {what} (a `key \"name\" {{ algorithm …; \
                     secret \"…\"; }};` clause as `tsig-keygen` writes it)"
                ))
            })
        };
        if !next("`key`")?.eq_ignore_ascii_case("key") {
            return Err(syntax(
                "not a TSIG key file: expected a `key \"name\" { algorithm …; secret \"…\"; };` \
                 clause as `tsig-keygen` writes it",
            ));
        }
        let name = next("the key's name")?.to_owned();
        if next("`{`")? != "{" {
            return Err(syntax(format!("expected `{{` after `key {name}`")));
        }
        let (mut algorithm, mut secret) = (None, None);
        loop {
            let field = next("`}`")?;
            if field == "}" {
                break;
            }
            let value = next("a value")?.to_owned();
            if next("`;`")? != ";" {
                return Err(syntax(format!(
                    "expected `;` after `{field}` in key `{name}`"
                )));
            }
            match field.to_ascii_lowercase().as_str() {
                "algorithm" => algorithm = Some(value),
                "secret" => secret = Some(value),
                _ => return Err(syntax(format!("unknown field `{field}` in key `{name}`"))),
            }
        }
        if !matches!(rest.next(), None | Some(";")) || rest.next().is_some() {
            return Err(syntax(
                "more than one statement in the key file (nsupdate -k reads one key)",
            ));
        }
        let algorithm =
            algorithm.ok_or_else(|| syntax(format!("key `{name}` has no algorithm")))?;
        let secret = secret.ok_or_else(|| syntax(format!("key `{name}` has no secret")))?;
        Self::new(&name, Algorithm::from_name(&algorithm, &name)?, &secret)
    }

    /// `name. [ttl] [IN] KEY flags protocol algorithm base64…` (a `dnssec-keygen` `.key`
    /// file): the owner `name` and the fields after `KEY`.
    fn from_key_record(name: &str, rdata: &[&str]) -> Result<Self, KeyError> {
        let [_flags, _protocol, number, secret @ ..] = rdata else {
            return Err(syntax("the KEY record is incomplete"));
        };
        let number = number
            .parse()
            .map_err(|_| syntax("the KEY record's algorithm is not a number"))?;
        let algorithm = Algorithm::from_number(number, name)?;
        Self::new(name, algorithm, &secret.concat())
    }

    /// A `dnssec-keygen` `.private` file: `Algorithm: 165 (HMAC_SHA512)` and `Key: base64`;
    /// the key's name is in the file name, `K<name>.+<alg>+<id>.private`.
    fn from_private(file_name: &str, text: &str) -> Result<Self, KeyError> {
        let field = |name: &str| {
            text.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == name).then(|| value.trim())
            })
        };
        let name = file_name
            .strip_prefix('K')
            .and_then(|rest| rest.split_once(".+"))
            .map(|(name, _)| name)
            .ok_or_else(|| {
                syntax("a .private key file must keep its name K<keyname>.+<alg>+<id>.private")
            })?;
        let number = field("Algorithm")
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| syntax("the .private file has no `Algorithm:` number"))?;
        let algorithm = Algorithm::from_number(number, name)?;
        let secret = field("Key").ok_or_else(|| syntax("the .private file has no `Key:`"))?;
        Self::new(name, algorithm, secret)
    }
}

/// Split BIND configuration text into words, quoted strings (without their quotes), `{`,
/// `}` and `;`, dropping `#`, `//` and `/* */` comments.
fn tokenize(text: &str) -> Result<Vec<String>, KeyError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '#' => skip_line(&mut chars),
            '/' if chars.peek() == Some(&'/') => skip_line(&mut chars),
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                loop {
                    match chars.next() {
                        Some('/') if last == '*' => break,
                        Some(c) => last = c,
                        None => return Err(syntax("a /* comment is not closed")),
                    }
                }
            }
            '{' | '}' | ';' => tokens.push(c.to_string()),
            '"' => {
                let mut word = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(c) => word.push(c),
                        None => return Err(syntax("a quoted string is not closed")),
                    }
                }
                tokens.push(word);
            }
            c => {
                let mut word = c.to_string();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '{' | '}' | ';' | '"' | '#') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(word);
            }
        }
    }
    Ok(tokens)
}

fn skip_line(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if c == '\n' {
            break;
        }
    }
}

#[cfg(test)]
#[path = "tsig_tests.rs"]
mod tests;
