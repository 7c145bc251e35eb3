//! Recognises an identity provider's form post to AWS's SAML sign-in endpoint and takes its
//! `SAMLResponse`, from the details `webRequest.onBeforeRequest` gives.

use serde::Deserialize;

/// The assertion must fit in one request to the host, with room for the envelope.
pub const MAX_SAML_RESPONSE: usize = roleport_protocol::MAX_FRAME_FROM_BROWSER - 1024;

/// The parts of `webRequest.onBeforeRequest`'s details that matter here. The background reads
/// them field by field (`saml::flow`); the tests read them from the browser's JSON.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestDetails {
    /// `POST` for a form post.
    #[serde(default)]
    pub method: String,
    /// The request's URL.
    #[serde(default)]
    pub url: String,
    /// `main_frame` for a page navigation.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// The parsed form body (with the `requestBody` option).
    #[serde(default)]
    pub request_body: Option<RequestBody>,
}

/// `details.requestBody`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestBody {
    /// Form fields, each with its values (urlencoded and multipart bodies).
    #[serde(default)]
    pub form_data: Option<FormData>,
}

/// The one form field read; the others are skipped unread (a map of every field would cost
/// the wasm a hash map for nothing).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FormData {
    /// The `SAMLResponse` values.
    #[serde(default, rename = "SAMLResponse")]
    pub saml_response: Vec<String>,
}

/// Why a request to the SAML endpoint is not a sign-in roleport takes up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotASignIn {
    /// Not a top-level form post to `/saml` (a reload, a sub-resource, another path).
    NotAPost,
    /// A post without exactly one non-empty `SAMLResponse`.
    NoSamlResponse,
    /// Larger than the host takes.
    TooLarge(usize),
}

/// The `SAMLResponse` of an identity provider's sign-in post, as posted (base64).
///
/// Only a top-level `POST` to the path `/saml` counts: that is what a person's browser does
/// when the IdP hands them to AWS. The host names were checked by the listener's filter.
pub fn saml_response(details: RequestDetails) -> Result<String, NotASignIn> {
    if details.method != "POST" || details.kind != "main_frame" || path(&details.url) != "/saml" {
        return Err(NotASignIn::NotAPost);
    }
    let mut values = details
        .request_body
        .and_then(|b| b.form_data)
        .map(|form| form.saml_response)
        .unwrap_or_default();
    if values.len() != 1 || values[0].trim().is_empty() {
        return Err(NotASignIn::NoSamlResponse);
    }
    let value = values.swap_remove(0);
    if value.len() > MAX_SAML_RESPONSE {
        return Err(NotASignIn::TooLarge(value.len()));
    }
    Ok(value)
}

/// The path of an absolute URL (`""` if it has none).
fn path(url: &str) -> &str {
    let Some((_, rest)) = url.split_once("://") else {
        return "";
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    rest.find('/').map_or("", |i| &rest[i..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn details(value: serde_json::Value) -> RequestDetails {
        serde_json::from_value(value).expect("details parse")
    }

    fn post(url: &str, form: serde_json::Value) -> RequestDetails {
        details(
            json!({"method": "POST", "url": url, "type": "main_frame", "tabId": 3,
                       "requestBody": {"formData": form}}),
        )
    }

    #[test]
    fn an_idp_post_to_the_saml_endpoint_yields_its_response() {
        let got = saml_response(post(
            "https://signin.aws.amazon.com/saml",
            json!({"SAMLResponse": ["PHNhbWxwOlJlc3BvbnNlLz4="], "RelayState": [""]}),
        ));
        assert_eq!(got, Ok("PHNhbWxwOlJlc3BvbnNlLz4=".to_owned()));
        let regional = saml_response(post(
            "https://eu-west-1.signin.aws.amazon.com/saml?SAMLart=x",
            json!({"SAMLResponse": ["x"]}),
        ));
        assert_eq!(regional, Ok("x".to_owned()));
        let test_stub = saml_response(post(
            "http://signin.fakeaws.test:8123/saml",
            json!({"SAMLResponse": ["y"]}),
        ));
        assert_eq!(test_stub, Ok("y".to_owned()));
    }

    #[test]
    fn anything_else_is_left_alone() {
        let get = details(
            json!({"method": "GET", "url": "https://signin.aws.amazon.com/saml",
                                 "type": "main_frame"}),
        );
        assert_eq!(saml_response(get), Err(NotASignIn::NotAPost));
        let frame = details(
            json!({"method": "POST", "url": "https://signin.aws.amazon.com/saml",
                                   "type": "sub_frame",
                                   "requestBody": {"formData": {"SAMLResponse": ["x"]}}}),
        );
        assert_eq!(saml_response(frame), Err(NotASignIn::NotAPost));
        for url in [
            "https://signin.aws.amazon.com/saml/other",
            "https://signin.aws.amazon.com/samlx",
            "https://signin.aws.amazon.com/federation",
            "https://signin.aws.amazon.com",
        ] {
            let other = post(url, json!({"SAMLResponse": ["x"]}));
            assert_eq!(saml_response(other), Err(NotASignIn::NotAPost), "{url}");
        }
        let url = "https://signin.aws.amazon.com/saml";
        for form in [
            json!({}),
            json!({"SAMLResponse": []}),
            json!({"SAMLResponse": ["  "]}),
            json!({"SAMLResponse": ["a", "b"]}),
        ] {
            assert_eq!(
                saml_response(post(url, form.clone())),
                Err(NotASignIn::NoSamlResponse),
                "{form}"
            );
        }
        let raw_body = details(json!({"method": "POST", "url": url, "type": "main_frame",
                                      "requestBody": {"raw": [{"bytes": {}}]}}));
        assert_eq!(saml_response(raw_body), Err(NotASignIn::NoSamlResponse));
    }

    #[test]
    fn a_response_larger_than_the_host_takes_is_refused_here() {
        let huge = "A".repeat(MAX_SAML_RESPONSE + 1);
        let got = saml_response(post(
            "https://signin.aws.amazon.com/saml",
            json!({"SAMLResponse": [huge]}),
        ));
        assert_eq!(got, Err(NotASignIn::TooLarge(MAX_SAML_RESPONSE + 1)));
    }
}
