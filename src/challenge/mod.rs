//! Challenge solvers.
