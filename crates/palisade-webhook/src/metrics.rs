//! Prometheus text exposition (format 0.0.4) of what the webhook did: reviews by endpoint and
//! result, a latency histogram per endpoint, denials by rule, config reloads. A few counters
//! behind one mutex: uncontended at the request rates a webhook sees, and no dependency.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    reviews: BTreeMap<(&'static str, &'static str), u64>,
    latency: BTreeMap<&'static str, Histogram>,
    denials: BTreeMap<&'static str, u64>,
    reloads: BTreeMap<(&'static str, &'static str), u64>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    /// One review answered by `endpoint` with `result`, in `elapsed`.
    pub fn review(
        &self,
        endpoint: &'static str,
        result: &'static str,
        elapsed: Duration,
        denied_by: &[&'static str],
    ) {
        let mut m = self.inner.lock().expect("metrics lock");
        *m.reviews.entry((endpoint, result)).or_default() += 1;
        let h = m.latency.entry(endpoint).or_default();
        let secs = elapsed.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
        for code in denied_by {
            *m.denials.entry(code).or_default() += 1;
        }
    }

    /// A reload of `what` (`certificate`, `config`) that succeeded or failed.
    pub fn reload(&self, what: &'static str, ok: bool) {
        let mut m = self.inner.lock().expect("metrics lock");
        *m.reloads
            .entry((what, if ok { "success" } else { "failure" }))
            .or_default() += 1;
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let m = self.inner.lock().expect("metrics lock");
        let mut out = String::new();
        out.push_str(
            "# HELP palisade_webhook_reviews_total Admission and image reviews answered, by \
             endpoint and result.\n# TYPE palisade_webhook_reviews_total counter\n",
        );
        for ((e, r), n) in &m.reviews {
            let _ = writeln!(
                out,
                "palisade_webhook_reviews_total{{endpoint=\"{e}\",result=\"{r}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP palisade_webhook_review_duration_seconds Time to answer a review, from the \
             whole body read to the response built.\n\
             # TYPE palisade_webhook_review_duration_seconds histogram\n",
        );
        for (e, h) in &m.latency {
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "palisade_webhook_review_duration_seconds_bucket{{endpoint=\"{e}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "palisade_webhook_review_duration_seconds_bucket{{endpoint=\"{e}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "palisade_webhook_review_duration_seconds_sum{{endpoint=\"{e}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "palisade_webhook_review_duration_seconds_count{{endpoint=\"{e}\"}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP palisade_webhook_denials_total Findings that denied a request (or would \
             have, in warn and audit mode), by rule.\n\
             # TYPE palisade_webhook_denials_total counter\n",
        );
        for (code, n) in &m.denials {
            let _ = writeln!(out, "palisade_webhook_denials_total{{rule=\"{code}\"}} {n}");
        }
        out.push_str(
            "# HELP palisade_webhook_reloads_total Certificate and config reloads.\n\
             # TYPE palisade_webhook_reloads_total counter\n",
        );
        for ((w, r), n) in &m.reloads {
            let _ = writeln!(
                out,
                "palisade_webhook_reloads_total{{what=\"{w}\",result=\"{r}\"}} {n}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.review("validate", "denied", Duration::from_micros(300), &["PS101"]);
        m.review("validate", "allowed", Duration::from_millis(2), &[]);
        let text = m.render();
        assert!(text
            .contains("palisade_webhook_reviews_total{endpoint=\"validate\",result=\"denied\"} 1"));
        assert!(text.contains("palisade_webhook_denials_total{rule=\"PS101\"} 1"));
        assert!(text.contains("_bucket{endpoint=\"validate\",le=\"0.0005\"} 1"));
        assert!(text.contains("_bucket{endpoint=\"validate\",le=\"0.0025\"} 2"));
        assert!(text.contains("_count{endpoint=\"validate\"} 2"));
    }
}
