//! Reporters: turn a [`palisade_core::report::ScanReport`] into text, JSON or SARIF.
