//! What users see, pinned: JSON once, text with and without colour and code frames.

mod common;

use palisade_report::{render, Format, RenderOptions};

fn rendered(format: Format, options: &RenderOptions<'_>) -> String {
    let mut out = Vec::new();
    render(format, &common::report(), options, &mut out).expect("rendering to memory");
    String::from_utf8(out).expect("reports are UTF-8")
}

/// Colour codes made visible, so a colour snapshot can be read and reviewed.
fn show_escapes(s: &str) -> String {
    s.replace('\x1b', "␛")
}

#[test]
fn json_report() {
    let options = RenderOptions::default().with_tool(common::tool());
    insta::assert_snapshot!(rendered(Format::Json, &options));
}

#[test]
fn text_plain() {
    insta::assert_snapshot!(rendered(Format::Text, &RenderOptions::default()));
}

#[test]
fn text_color() {
    let options = RenderOptions::default().with_color(true);
    insta::assert_snapshot!(show_escapes(&rendered(Format::Text, &options)));
}

#[test]
fn text_with_frames() {
    let sources = common::sources();
    let options = RenderOptions::default().with_source(&sources);
    insta::assert_snapshot!(rendered(Format::Text, &options));
}

#[test]
fn text_with_frames_and_color() {
    let sources = common::sources();
    let options = RenderOptions::default()
        .with_source(&sources)
        .with_color(true);
    insta::assert_snapshot!(show_escapes(&rendered(Format::Text, &options)));
}

#[test]
fn sarif_report() {
    let options = RenderOptions::default().with_tool(common::tool());
    insta::assert_snapshot!(rendered(Format::Sarif, &options));
}

#[test]
fn plain_text_has_no_escape_codes_and_colour_text_does() {
    let sources = common::sources();
    let plain = rendered(
        Format::Text,
        &RenderOptions::default().with_source(&sources),
    );
    assert!(!plain.contains('\x1b'));
    let color = rendered(
        Format::Text,
        &RenderOptions::default()
            .with_source(&sources)
            .with_color(true),
    );
    assert!(color.contains("\x1b[1;31m"));
}
