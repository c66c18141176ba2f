//! Every rule of this crate, one file per rule, one folder per code family. Each file declares
//! its rule ([`palisade_core::RuleMeta`]) and registers it ([`palisade_core::register!`]); the
//! models and primitives the rules share live outside (`pss`, `rbac`, `netpol`, ...).

pub mod ap;
pub mod im;
pub mod np;
pub mod pa;
pub mod ps;
pub mod rb;
