//! Loads every manifest below the given paths and keeps them all in memory: a quick check of the
//! loader's speed and of what holding a whole inventory costs.
fn main() {
    let mut files = vec![];
    for a in std::env::args().skip(1) {
        files.extend(walk(std::path::Path::new(&a)));
    }
    let t = std::time::Instant::now();
    let mut keep = vec![];
    let (mut docs, mut errs, mut bytes) = (0, 0, 0);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        bytes += text.len();
        let (d, e) = palisade_core::yaml::load_str(&text, &Default::default());
        docs += d.len();
        errs += e.len();
        keep.push(d);
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("");
    println!(
        "{} files, {bytes} bytes, {docs} documents, {errs} errors in {:?}; {rss}",
        files.len(),
        t.elapsed()
    );
}

fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            out.extend(walk(&e.unwrap().path()));
        }
    } else if matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    ) {
        out.push(p.to_path_buf());
    }
    out
}
