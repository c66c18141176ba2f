//! `PALISADE_TIMINGS=1`: where a scan's wall time goes, one stderr line per phase (`bench/run.py
//! --timings` reads them). Off unless the variable is set; a mark then costs one clock read.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// The start of the process's first phase, or `None` when timings are off.
fn last() -> Option<&'static Mutex<Instant>> {
    static LAST: OnceLock<Option<Mutex<Instant>>> = OnceLock::new();
    LAST.get_or_init(|| std::env::var_os("PALISADE_TIMINGS").map(|_| Mutex::new(Instant::now())))
        .as_ref()
}

/// Starts the clock (call once, first thing).
pub fn start() {
    let _ = last();
}

/// Ends phase `name`: prints the time since the previous mark.
pub fn mark(name: &str) {
    if let Some(last) = last() {
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        eprintln!(
            "palisade timing: {name:<24} {:>9.2} ms",
            (now - *last).as_secs_f64() * 1e3
        );
        *last = now;
    }
}
