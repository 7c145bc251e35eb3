//! PROTOCOL.md is part of the protocol: it must name every request type, event and error code
//! the code has, name nothing the code lacks, and every JSON example in it must parse as the
//! real type.

use roleport_protocol::{Envelope, ErrorCode, Event, EventFrame, Reply, Request};

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../PROTOCOL.md");
    std::fs::read_to_string(path).expect("PROTOCOL.md sits at the repository root")
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    text.split(open)
        .skip(1)
        .filter_map(|rest| rest.split(close).next())
        .collect()
}

/// The text of `## {title}`, up to the next `## ` heading.
fn section(doc: &str, title: &str) -> String {
    doc.split(&format!("\n## {title}\n"))
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_else(|| panic!("PROTOCOL.md has no `## {title}` section"))
        .to_owned()
}

/// Every `### `name`` heading of a section is one of `names`, and every name has one.
fn headings_match(doc: &str, title: &str, names: &[&str]) {
    let section = section(doc, title);
    let documented: Vec<&str> = between(&section, "\n### `", "`");
    for t in names {
        assert!(
            documented.contains(t),
            "PROTOCOL.md's `## {title}` has no `### `{t}`` section"
        );
    }
    for d in &documented {
        assert!(
            names.contains(d),
            "PROTOCOL.md's `## {title}` documents `{d}`, which the code does not have"
        );
    }
}

#[test]
fn every_request_type_has_a_section_and_every_section_is_a_request_type() {
    headings_match(&doc(), "Requests", Request::TYPES);
}

#[test]
fn every_event_has_a_section_and_every_section_is_an_event() {
    headings_match(&doc(), "Events", Event::NAMES);
}

#[test]
fn every_error_code_is_in_the_table_and_every_row_is_a_code() {
    let doc = doc();
    let section = doc
        .split("\n## Error codes")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("PROTOCOL.md has an `## Error codes` section");
    let rows: Vec<&str> = between(section, "\n| `", "`");
    for code in ErrorCode::ALL {
        assert!(
            rows.contains(&code.as_str()),
            "PROTOCOL.md's error table lacks `{code}`"
        );
    }
    let known: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    for row in &rows {
        assert!(
            known.contains(row),
            "PROTOCOL.md lists `{row}`, which the code does not have"
        );
    }
}

#[test]
fn every_json_example_is_a_valid_request_or_reply() {
    let doc = doc();
    let examples = between(&doc, "```json\n", "```");
    assert!(
        examples.len() >= 8,
        "expected an example per request and reply"
    );
    for example in examples {
        let value: serde_json::Value = serde_json::from_str(example)
            .unwrap_or_else(|e| panic!("example is not JSON ({e}):\n{example}"));
        let parsed = if value.get("type").is_some() {
            serde_json::from_value::<Envelope>(value).map(|_| ())
        } else if value.get("event").is_some() {
            serde_json::from_value::<EventFrame>(value).map(|_| ())
        } else {
            // From the text: a result's `type` must come first (src/decode.rs).
            serde_json::from_str::<Reply>(example).map(|_| ())
        };
        parsed.unwrap_or_else(|e| panic!("example does not match the types ({e}):\n{example}"));
    }
}

#[test]
fn every_event_has_an_example() {
    let doc = doc();
    let events = section(&doc, "Events");
    let examples: Vec<serde_json::Value> = between(&events, "```json\n", "```")
        .into_iter()
        .filter_map(|e| serde_json::from_str(e).ok())
        .collect();
    for name in Event::NAMES {
        assert!(
            examples.iter().any(|e| e["event"] == *name),
            "PROTOCOL.md's `## Events` has no example of `{name}`"
        );
    }
}
