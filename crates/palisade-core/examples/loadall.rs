fn main() {
    let mut files = vec![];
    for a in std::env::args().skip(1) {
        files.extend(walk(std::path::Path::new(&a)));
    }
    let t = std::time::Instant::now();
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    println!("read {:?}", t.elapsed());
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let mut docs = 0;
        let mut errs = 0;
        let mut keep = vec![];
        for text in &texts {
            let (d, er) = palisade_core::yaml::load_str(text, &Default::default());
            docs += d.len();
            errs += er.len();
            keep.push(d);
        }
        println!("{docs} docs {errs} errors load {:?}", t.elapsed());
        let t = std::time::Instant::now();
        drop(keep);
        println!("drop {:?}", t.elapsed());
    }
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
