//! The acme.sh home.
