//! PROTOCOL.md's popup ↔ background section names every popup request and its examples parse
//! as the extension's real types.

use roleport_extension::messages::{
    ListReply, OpenManyReply, OpenReply, PopupReply, PopupRequest, SamlOpenReply, SamlPendingReply,
    SessionsReply, SsoStatusReply, SsoSyncReply, SsoSyncStatusReply,
};

fn doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../PROTOCOL.md"))
        .expect("PROTOCOL.md sits at the repository root")
}

fn examples(doc: &str) -> Vec<serde_json::Value> {
    doc.split("```json popup\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .map(|text| serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
        .collect()
}

#[test]
fn every_popup_example_parses_as_a_request_or_reply() {
    let doc = doc();
    let examples = examples(&doc);
    let mut request_types = Vec::new();
    for example in &examples {
        if let Some(kind) = example.get("type").and_then(|t| t.as_str()) {
            PopupRequest::read(example)
                .unwrap_or_else(|e| panic!("not a popup request ({e}): {example}"));
            request_types.push(kind.to_owned());
        } else if let Some(text) = example.as_str() {
            // `list_profiles` with `text`: the reply as JSON text.
            serde_json::from_str::<ListReply>(text)
                .unwrap_or_else(|e| panic!("not a list_profiles reply as text ({e}): {example}"));
        } else {
            let list = serde_json::from_value::<ListReply>(example.clone()).is_ok();
            let open = serde_json::from_value::<OpenReply>(example.clone()).is_ok();
            let many = serde_json::from_value::<OpenManyReply>(example.clone()).is_ok();
            let sso = serde_json::from_value::<SsoStatusReply>(example.clone()).is_ok()
                || serde_json::from_value::<SsoSyncReply>(example.clone()).is_ok()
                || serde_json::from_value::<SsoSyncStatusReply>(example.clone()).is_ok();
            let saml = serde_json::from_value::<SamlPendingReply>(example.clone()).is_ok()
                || serde_json::from_value::<SamlOpenReply>(example.clone()).is_ok();
            let sessions = serde_json::from_value::<SessionsReply>(example.clone()).is_ok()
                || serde_json::from_value::<PopupReply<()>>(example.clone()).is_ok();
            assert!(
                list || open || many || sso || saml || sessions,
                "not a popup reply: {example}"
            );
        }
    }
    for kind in PopupRequest::TYPES {
        assert!(
            request_types.iter().any(|t| t == kind),
            "PROTOCOL.md has no `{kind}` popup example"
        );
        assert!(
            doc.contains(&format!("| `{kind}` |")),
            "PROTOCOL.md's popup table lacks `{kind}`"
        );
    }
}
