//! An acme.sh dnsapi plugin as a [`Provider`]: `add` calls `<name>_add <fqdn> <value>` and
//! `remove` calls `<name>_rm <fqdn> <value>` through [`crate::plugin::Runner`], `<name>` being
//! the file's name without `.sh` (`dns_foo` for `dns_foo.sh`), as acme.sh names the functions
//! after the `--dns` value. Keeping other values at the name and removing only the given one
//! is the plugin's part of the contract, as with acme.sh.

use std::path::PathBuf;
use std::sync::Arc;

use crate::dns::{BoxFuture, Error, Provider, Record};
use crate::plugin::Runner;

/// A dnsapi plugin file and how to run it.
pub struct Plugin {
    runner: Arc<Runner>,
    script: PathBuf,
    name: String,
}

impl Plugin {
    /// The plugin at `script` (found with [`crate::plugin::find()`]), run by `runner`.
    pub fn new(runner: Arc<Runner>, script: PathBuf) -> Self {
        let name = crate::plugin::function_prefix(&script);
        Self {
            runner,
            script,
            name,
        }
    }

    /// Its name (`dns_foo`), which prefixes its functions.
    pub fn name(&self) -> &str {
        &self.name
    }

    async fn call(&self, verb: &str, record: &Record) -> Result<(), Error> {
        let function = format!("{}_{verb}", self.name);
        self.runner
            .call(&self.script, &function, &[&record.fqdn, &record.value])
            .await
            .map(drop)
            .map_err(|e| Error::Plugin(e.to_string()))
    }
}

impl Provider for Plugin {
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.call("add", record))
    }

    fn remove<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.call("rm", record))
    }
}
