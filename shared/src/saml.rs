//! SAML sign-in (ADFS and other identity providers): the extension hands the host the SAML
//! response an identity provider posted to AWS, the host lists its roles and keeps the
//! assertion; each chosen role then opens through AssumeRoleWithSAML.
//!
//! The assertion travels once, extension → host, in `saml_roles`; every later request names
//! it by the opaque `handle` the host answered with, so it never crosses back.

use serde::{Deserialize, Serialize};

use crate::Appearance;

/// `saml_roles`: the `SAMLResponse` form field an identity provider posted to AWS's SAML
/// sign-in endpoint, as posted (base64). Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlRoles {
    /// The base64 `SAMLResponse`, exactly as the form posted it.
    pub saml_response: String,
}

impl std::fmt::Debug for SamlRoles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A signed assertion is a bearer credential until it expires: never in a log.
        f.debug_struct("SamlRoles")
            .field(
                "saml_response",
                &format_args!("<{} bytes>", self.saml_response.len()),
            )
            .finish()
    }
}

/// Answer to `saml_roles`: the roles the assertion grants, and the handle that names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlRoleList {
    /// Opaque; names the assertion in `saml_open`. Valid while this host runs and the
    /// assertion has not expired.
    pub handle: String,
    /// The identity provider's `RoleSessionName` attribute (usually the person's e-mail or
    /// account name), when the assertion has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// When the assertion stops being accepted (RFC 3339), when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The `SessionDuration` attribute in seconds, when the assertion has one: each role's
    /// credentials and console session are asked for that long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration: Option<i32>,
    /// Every role of the assertion's `Role` attribute, sorted by account then role.
    pub roles: Vec<SamlRole>,
}

/// One role a SAML assertion grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "crate::decode::RoleFields")]
pub struct SamlRole {
    /// The role's ARN; `saml_open` names the role by it.
    pub role_arn: String,
    /// The SAML provider (identity provider) ARN it is assumed through.
    pub principal_arn: String,
    /// The role's account.
    pub account_id: String,
    /// The role's name.
    pub role: String,
    /// The name its container / tab group gets: `saml:ACCOUNT/ROLE`.
    pub name: String,
    /// Container / tab-group colour and icon.
    #[serde(flatten)]
    pub appearance: Appearance,
}

/// `saml_open`: sign in to the console as one role of a listed assertion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlOpen {
    /// The `handle` of the `saml_roles` answer.
    pub handle: String,
    /// One of that answer's `role_arn`s.
    pub role_arn: String,
    /// Console region; defaults to the role's partition's default region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_list_round_trips_with_its_appearance_beside_the_role() {
        let list = SamlRoleList {
            handle: "h1".into(),
            session_name: Some("alice@example.com".into()),
            expires_at: None,
            session_duration: Some(3600),
            roles: vec![SamlRole {
                role_arn: "arn:aws:iam::111111111111:role/Admin".into(),
                principal_arn: "arn:aws:iam::111111111111:saml-provider/idp".into(),
                account_id: "111111111111".into(),
                role: "Admin".into(),
                name: "saml:111111111111/Admin".into(),
                appearance: Appearance {
                    color: crate::Color::Red,
                    icon: crate::Icon::Fence,
                    label: Some("PROD".into()),
                },
            }],
        };
        let value = serde_json::to_value(&list).expect("serialises");
        assert_eq!(value["roles"][0]["color"], "red");
        assert_eq!(value["roles"][0]["label"], "PROD");
        let back: SamlRoleList = serde_json::from_value(value).expect("parses");
        assert_eq!(back, list);
    }

    #[test]
    fn the_assertion_never_shows_in_debug_output() {
        let request = SamlRoles {
            saml_response: "PHNhbWxwOlJlc3BvbnNlPg==".into(),
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("PHNhbWxw"), "{shown}");
        assert!(shown.contains("24 bytes"), "{shown}");
    }
}
