//! PROTOCOL.md is part of the protocol: it must name every request type and error code the
//! code has, name nothing the code lacks, and every JSON example in it must parse as the
//! real type.

use roleport_protocol::{Envelope, ErrorCode, Reply, Request};

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

#[test]
fn every_request_type_has_a_section_and_every_section_is_a_request_type() {
    let doc = doc();
    let documented: Vec<&str> = between(&doc, "\n### `", "`");
    for t in Request::TYPES {
        assert!(
            documented.contains(t),
            "PROTOCOL.md has no `### `{t}`` section"
        );
    }
    for d in &documented {
        assert!(
            Request::TYPES.contains(d),
            "PROTOCOL.md documents `{d}`, which the code does not have"
        );
    }
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
        } else {
            serde_json::from_value::<Reply>(value).map(|_| ())
        };
        parsed.unwrap_or_else(|e| panic!("example does not match the types ({e}):\n{example}"));
    }
}
