//! Time of one `/validate` decision without the network, and of the two ways to get the
//! request's object into the document model:
//! - direct: `request.object` deserialised straight into `Node` (what the webhook does);
//! - loader: JSON text → `serde_json::Value` → text of the object → the YAML loader (JSON is
//!   YAML), as `palisade scan` would read it.
//!
//! `cargo run --release -p palisade-webhook --example decide_bench -- bench/webhook/deployment-review.json`

use std::time::Instant;

use palisade_core::config::Config;
use palisade_core::source::objects_from_str;
use palisade_webhook::review::parse_admission;
use palisade_webhook::Policy;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "bench/webhook/deployment-review.json".to_owned());
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let policy = Policy::new(&Config::default()).expect("default policy");
    // Fewer rounds for a profiler run: DECIDE_BENCH_N=2000 valgrind --tool=callgrind …
    let n = std::env::var("DECIDE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);

    let time = |name: &str, f: &mut dyn FnMut()| {
        for _ in 0..n.min(1000) {
            f();
        }
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        let per = start.elapsed().as_secs_f64() / n as f64 * 1e6;
        println!("{name:<44} {per:>8.2} µs");
    };

    time("parse (direct to Node)", &mut || {
        std::hint::black_box(parse_admission(&body).unwrap());
    });
    time("parse (serde_json::Value only, for scale)", &mut || {
        std::hint::black_box(serde_json::from_slice::<serde_json::Value>(&body).unwrap());
    });
    time("parse (serde_json::Value + YAML loader)", &mut || {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let text = v["request"]["object"].to_string();
        std::hint::black_box(objects_from_str("object.json", &text));
    });
    time("parse + validate (direct), whole decision", &mut || {
        let (uid, req) = parse_admission(&body).unwrap();
        std::hint::black_box(policy.validate(&uid, req));
    });
    time("parse + mutate (direct), whole decision", &mut || {
        let (uid, req) = parse_admission(&body).unwrap();
        std::hint::black_box(policy.mutate(&uid, req));
    });
}
