fn main() {
    let p = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    let (d, e) = palisade_core::yaml::load_str(&text, &Default::default());
    println!(
        "{:#?}\n{:?}",
        d.iter().map(|d| &d.root).collect::<Vec<_>>(),
        e
    );
}
