//! `PALISADE_TIMINGS=1`: where a scan's wall time and memory go, one stderr line per phase: its
//! wall time, then the resident and peak resident set at its end (Linux; nothing else reads
//! them, for a person reading a profile). Off unless the variable is set; a mark then costs one
//! clock read and a `/proc` read. Built with `--features alloc-stats`, a mark also shows the bytes
//! of live allocations (see `alloc_stats`).

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
            "palisade timing: {name:<24} {:>9.2} ms {}",
            (now - *last).as_secs_f64() * 1e3,
            memory()
        );
        *last = now;
    }
}

/// `rss N MB peak N MB` from `/proc/self/status` (Linux), or nothing elsewhere.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb / 1024)
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(peak)) => format!("rss {rss:>5} MB peak {peak:>5} MB{}", allocated()),
        _ => allocated(),
    }
}

/// ` live N MB live peak N MB` with `--features alloc-stats` (see [`crate::alloc_stats`]).
#[cfg(feature = "alloc-stats")]
fn allocated() -> String {
    format!(" {}", crate::alloc_stats::summary())
}

#[cfg(not(feature = "alloc-stats"))]
fn allocated() -> String {
    String::new()
}
