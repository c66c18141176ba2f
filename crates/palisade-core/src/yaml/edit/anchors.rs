//! The regions of the text that other places share: nodes under an anchor that an alias uses,
//! and the values of `<<` merge keys. An edit inside one would change every place that refers to
//! it, so such fixes are skipped with [`Skip::Shared`](super::Skip::Shared).
//!
//! The loaded document resolves aliases away, so this reads the parser's events again, once per
//! document that has a `&` or a `<<`.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::Editor;
use crate::yaml::node::Pos;

impl<'t> Editor<'t> {
    /// Byte ranges of anchored nodes that an alias uses and of merge values, in one document
    /// piece; `None` when the piece does not parse here (the loader may have repaired it).
    pub(super) fn shared_regions(
        &self,
        piece: &str,
        first_line: u32,
    ) -> Option<Vec<(usize, usize)>> {
        struct Open {
            start: Pos,
            anchor: usize,
            merge: bool,
            is_map: bool,
            children: usize,
            next_is_merge: bool,
        }
        let to_pos = |m: &saphyr_parser::Marker| Pos {
            line: m.line() as u32 + first_line - 1,
            col: m.col() as u32 + 1,
        };
        let mut stack: Vec<Open> = Vec::new();
        let mut anchored: HashMap<usize, Vec<(Pos, Pos)>> = HashMap::new();
        let mut used: HashSet<usize> = HashSet::new();
        let mut merges: Vec<(Pos, Pos)> = Vec::new();
        let mut last_end = Pos::default();
        let mut parser = Parser::new_from_str(piece);
        // A node is done: record its region and tell its parent (a key `<<` makes the next value
        // a merge value).
        let done = |stack: &mut Vec<Open>,
                    anchored: &mut HashMap<usize, Vec<(Pos, Pos)>>,
                    merges: &mut Vec<(Pos, Pos)>,
                    start: Pos,
                    end: Pos,
                    anchor: usize,
                    merge: bool,
                    merge_key: bool| {
            if anchor != 0 {
                anchored.entry(anchor).or_default().push((start, end));
            }
            if merge {
                merges.push((start, end));
            }
            if let Some(p) = stack.last_mut() {
                p.children += 1;
                if p.is_map && p.children % 2 == 1 {
                    p.next_is_merge = merge_key;
                }
            }
        };
        let merge_here = |stack: &Vec<Open>| {
            stack
                .last()
                .is_some_and(|p| p.is_map && p.children % 2 == 1 && p.next_is_merge)
        };
        loop {
            let (event, span) = match parser.next_event() {
                None => break,
                Some(Ok(e)) => e,
                Some(Err(_)) => return None,
            };
            let (start, end) = (to_pos(&span.start), to_pos(&span.end));
            match event {
                Event::StreamEnd => break,
                Event::Scalar(text, style, anchor, _) => {
                    last_end = end;
                    let merge = merge_here(&stack);
                    let merge_key = matches!(style, ScalarStyle::Plain) && text == "<<";
                    done(
                        &mut stack,
                        &mut anchored,
                        &mut merges,
                        start,
                        end,
                        anchor,
                        merge,
                        merge_key,
                    );
                }
                Event::Alias(id) => {
                    last_end = end;
                    used.insert(id);
                    let merge = merge_here(&stack);
                    done(
                        &mut stack,
                        &mut anchored,
                        &mut merges,
                        start,
                        end,
                        0,
                        merge,
                        false,
                    );
                }
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    let merge = merge_here(&stack);
                    stack.push(Open {
                        start,
                        anchor,
                        merge,
                        is_map: matches!(event, Event::MappingStart(..)),
                        children: 0,
                        next_is_merge: false,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let open = stack.pop()?;
                    // A flow collection ends at its bracket; a block one where the next token
                    // starts, so its region ends with its last content instead.
                    let off = self.offset(end);
                    if off > 0 && matches!(self.text.as_bytes()[off - 1], b']' | b'}') {
                        last_end = end;
                    }
                    done(
                        &mut stack,
                        &mut anchored,
                        &mut merges,
                        open.start,
                        last_end,
                        open.anchor,
                        open.merge,
                        false,
                    );
                }
                _ => {}
            }
        }
        let mut regions: Vec<(usize, usize)> = anchored
            .into_iter()
            .filter(|(id, _)| used.contains(id))
            .flat_map(|(_, r)| r)
            .chain(merges)
            .map(|(s, e)| (self.offset(s), self.offset(e).max(self.offset(s) + 1)))
            .collect();
        regions.sort_unstable();
        Some(regions)
    }
}
