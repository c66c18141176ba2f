//! `--features alloc-stats`: counts the bytes the allocator hands out, so that
//! `PALISADE_TIMINGS=1` can tell what a phase keeps from what the allocator holds on to. The
//! resident set alone cannot: mimalloc keeps freed pages (see `keep_freed_memory`), and its size
//! classes round every block up. Off by default: the counters are shared atomics on every
//! allocation.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

use mimalloc::MiMalloc;

/// mimalloc, counting the usable size of every live block and the highest total seen.
pub struct Counting;

static USABLE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn usable(p: *mut u8) -> isize {
    // SAFETY: `p` is null or a live block of mimalloc's; `mi_usable_size` accepts both.
    unsafe { libmimalloc_sys::mi_usable_size(p.cast()) as isize }
}

fn add(n: isize) {
    let now = USABLE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is forwarded to mimalloc unchanged; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { MiMalloc.alloc(layout) };
        add(usable(p));
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { MiMalloc.alloc_zeroed(layout) };
        add(usable(p));
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        add(-usable(p));
        // SAFETY: as `alloc`.
        unsafe { MiMalloc.dealloc(p, layout) }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let before = usable(p);
        // SAFETY: as `alloc`.
        let q = unsafe { MiMalloc.realloc(p, layout, new_size) };
        if !q.is_null() {
            add(usable(q) - before);
        }
        q
    }
}

/// `live N MB peak N MB`: the usable bytes of live blocks now and at most so far.
pub fn summary() -> String {
    format!(
        "live {:>5} MB live peak {:>5} MB",
        USABLE.load(Relaxed) >> 20,
        PEAK.load(Relaxed) >> 20
    )
}
