//! The global allocator, and when a scan lets it keep or reuse freed memory.

/// The scan allocates and frees millions of small nodes across threads; mimalloc does that
/// markedly faster than the system allocator (see bench/).
#[cfg(not(feature = "alloc-stats"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "alloc-stats")]
#[global_allocator]
static GLOBAL: crate::alloc_stats::Counting = crate::alloc_stats::Counting;

/// A scan is short-lived and frees and reallocates hundreds of megabytes in waves (each file's
/// document trees, then the findings): returning freed pages to the system only to fault them
/// back in cost more system time than the scan's own work at 100,000 objects (8 s of 17 s).
/// Commands that keep running (the webhook) keep mimalloc's default.
pub fn keep_freed_memory() {
    // `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (the same value in the v2 and v3
    // headers); the Rust bindings do not name it. -1: never purge.
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: `mi_option_set` only stores an option value; mimalloc reads it at its next purge.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
    }
}
