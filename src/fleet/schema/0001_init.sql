-- acmers fleet store, schema version 1 (docs/fleet.md). Applied by src/fleet/migrate.rs in
-- one transaction, under a transaction-level advisory lock.

-- Facts about the store itself: the id of the key that seals private keys.
CREATE TABLE acmers_meta (
    name  text PRIMARY KEY,
    value text NOT NULL
);

-- Leases with fencing tokens: a lease is held while `expires_at` (the database's clock) is in
-- the future; every take-over draws a new, larger token from the sequence.
CREATE SEQUENCE acmers_lease_token;
CREATE TABLE acmers_leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    token      bigint NOT NULL,
    expires_at timestamptz NOT NULL
);

-- One row per certificate lineage (a folder of an acme.sh home: `example.com` or
-- `example.com_ecc`). The conf and files are in acmers_lineage_files; these columns are
-- derived from them at every write, for the queue and for --list.
CREATE TABLE acmers_lineages (
    id              text PRIMARY KEY,
    main_domain     text NOT NULL,
    ecc             boolean NOT NULL,
    domains         text NOT NULL,
    server          text,
    key_length      text,
    created         bigint,
    not_after       bigint,
    -- When the lineage next needs a node (unix seconds): renewal time, ARI check, retry after
    -- a failure, or an unfinished order. NULL: never (not issued).
    next_due        bigint,
    -- The CA's renewal window (ARI, RFC 9773), the time chosen in it, the next check.
    ari_start       bigint,
    ari_end         bigint,
    ari_renew_at    bigint,
    ari_next_check  bigint,
    next_attempt    bigint,
    failed_attempts integer NOT NULL DEFAULT 0,
    last_error      text,
    -- Bumped whenever the certificate changes: what nodes compare to install on change.
    cert_version    bigint NOT NULL DEFAULT 0,
    -- Bumped at every write; `fence` is the lease token of the last writer.
    version         bigint NOT NULL DEFAULT 1,
    fence           bigint,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- (next_due, id): the claim's order, so a claim reads the first free due rows, not every due
-- row (lineages imported or issued together share one next_due).
CREATE INDEX acmers_lineages_due ON acmers_lineages (next_due, id) WHERE next_due IS NOT NULL;

CREATE TABLE acmers_lineage_files (
    lineage text NOT NULL REFERENCES acmers_lineages (id) ON DELETE CASCADE,
    name    text NOT NULL,
    body    bytea NOT NULL,
    sealed  boolean NOT NULL,
    PRIMARY KEY (lineage, name)
);

-- One row per CA account (a folder under `ca/` of an acme.sh home), its files beside.
CREATE TABLE acmers_accounts (
    folder     text PRIMARY KEY,
    version    bigint NOT NULL DEFAULT 1,
    fence      bigint,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE acmers_account_files (
    account text NOT NULL REFERENCES acmers_accounts (folder) ON DELETE CASCADE,
    name    text NOT NULL,
    body    bytea NOT NULL,
    sealed  boolean NOT NULL,
    PRIMARY KEY (account, name)
);

-- Files of the home itself (account.conf).
CREATE TABLE acmers_home_files (
    name   text PRIMARY KEY,
    body   bytea NOT NULL,
    sealed boolean NOT NULL
);

-- What each node installs (--install-cert with --node): the install settings as conf lines,
-- and the certificate version it last installed.
CREATE TABLE acmers_installs (
    node              text NOT NULL,
    lineage           text NOT NULL REFERENCES acmers_lineages (id) ON DELETE CASCADE,
    conf              bytea NOT NULL,
    installed_version bigint NOT NULL DEFAULT 0,
    installed_at      timestamptz,
    PRIMARY KEY (node, lineage)
);
