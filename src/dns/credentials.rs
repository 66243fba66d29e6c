//! A provider's variables: the environment wins, else `SAVED_<VAR>` from `account.conf`, else
//! a legacy plain `<VAR>` line there (acme.sh's `_readaccountconf_mutable`). Empty values
//! count as unset.

use std::collections::BTreeMap;

use super::{Error, Spec};

/// The variables of one provider, resolved once per run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    values: BTreeMap<String, String>,
}

impl Credentials {
    /// Resolve `names` from the environment (`env`) and the saved settings (`saved`, which
    /// gets the bare name and looks up `SAVED_<name>` then `<name>`).
    pub fn resolve<'a>(
        names: impl IntoIterator<Item = &'a str>,
        env: impl Fn(&str) -> Option<String>,
        saved: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let values = names
            .into_iter()
            .filter_map(|name| {
                let value = env(name)
                    .filter(|v| !v.is_empty())
                    .or_else(|| saved(name).filter(|v| !v.is_empty()))?;
                Some((name.to_owned(), value))
            })
            .collect();
        Self { values }
    }

    /// Fixed values (tests).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// One variable, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// One variable the provider `spec` cannot work without.
    ///
    /// # Errors
    ///
    /// [`Error::Missing`] naming the variable and what it is.
    pub fn require(&self, spec: &Spec, name: &'static str) -> Result<&str, Error> {
        self.get(name).ok_or_else(|| Error::Missing {
            provider: spec.name,
            var: name,
            help: spec
                .vars
                .iter()
                .find(|v| v.name == name)
                .map_or("", |v| v.help),
        })
    }

    /// Every variable that is set, to save as `SAVED_<name>` after a successful issuance.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
