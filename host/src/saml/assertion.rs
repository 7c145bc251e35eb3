//! Reads what roleport needs out of a SAML response: the roles of its
//! `https://aws.amazon.com/SAML/Attributes/Role` attribute, `RoleSessionName`,
//! `SessionDuration`, and until when it is valid.
//!
//! The signature is not checked: AWS checks it at AssumeRoleWithSAML, and nothing read here
//! grants anything. A forged role list can only make the person pick a role AWS then refuses.

use std::time::SystemTime;

use aws_smithy_types::date_time::{DateTime, Format};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use roxmltree::{Document, Node, ParsingOptions};

use super::SamlError;
use crate::arn::RoleArn;

const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ROLE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
const ROLE_SESSION_NAME: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
const SESSION_DURATION: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// AWS's bounds for `SessionDuration` (and for AssumeRoleWithSAML's DurationSeconds).
const DURATION_RANGE: std::ops::RangeInclusive<i32> = 900..=43_200;

/// A bound on the XML tree: a real response has a few hundred nodes per role.
const MAX_NODES: u32 = 200_000;

/// One value of the Role attribute: a role and the SAML provider it trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePair {
    /// The role.
    pub role: RoleArn,
    /// `arn:PARTITION:iam::ACCOUNT:saml-provider/NAME`.
    pub principal_arn: String,
}

/// What roleport reads from a SAML response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The roles, in the order the identity provider listed them, without duplicates.
    pub roles: Vec<RolePair>,
    /// The `RoleSessionName` attribute.
    pub session_name: Option<String>,
    /// The `SessionDuration` attribute, when it is a number AWS accepts (900–43200).
    pub session_duration: Option<i32>,
    /// The earliest `NotOnOrAfter` of the subject confirmation and the conditions.
    pub not_on_or_after: Option<SystemTime>,
}

/// Decodes and reads a `SAMLResponse` form field (base64 of a `samlp:Response`).
pub fn parse(saml_response: &str) -> Result<Assertion, SamlError> {
    let compact: Vec<u8> = saml_response
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    // Identity providers differ on padding; the alphabet is the standard one.
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let xml = engine
        .decode(&compact)
        .map_err(|e| SamlError::Unreadable(format!("it is not base64 ({e})")))?;
    let xml =
        String::from_utf8(xml).map_err(|_| SamlError::Unreadable("it is not UTF-8 text".into()))?;
    let options = ParsingOptions {
        // SAML has no DTDs; refusing them rules out entity expansion.
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(&xml, options)
        .map_err(|e| SamlError::Unreadable(format!("it is not XML ({e})")))?;
    read(&doc)
}

fn read(doc: &Document<'_>) -> Result<Assertion, SamlError> {
    let response = doc.root_element();
    if !response.has_tag_name((PROTOCOL_NS, "Response")) {
        return Err(SamlError::Unreadable(format!(
            "it holds a <{}>, not a SAML 2.0 <samlp:Response>",
            response.tag_name().name()
        )));
    }
    let status = child(response, PROTOCOL_NS, "Status")
        .and_then(|s| child(s, PROTOCOL_NS, "StatusCode"))
        .and_then(|c| c.attribute("Value"));
    if let Some(status) = status.filter(|s| *s != SUCCESS) {
        return Err(SamlError::Failed(status.to_owned()));
    }
    let Some(assertion) = child(response, ASSERTION_NS, "Assertion") else {
        return Err(
            if child(response, ASSERTION_NS, "EncryptedAssertion").is_some() {
                SamlError::Encrypted
            } else {
                SamlError::Unreadable("it has no assertion".into())
            },
        );
    };
    let mut out = Assertion {
        roles: Vec::new(),
        session_name: None,
        session_duration: None,
        not_on_or_after: not_on_or_after(assertion),
    };
    let attributes = assertion
        .descendants()
        .filter(|n| n.has_tag_name((ASSERTION_NS, "Attribute")));
    for attribute in attributes {
        let values = attribute
            .children()
            .filter(|n| n.has_tag_name((ASSERTION_NS, "AttributeValue")))
            .map(|v| text(v).trim().to_owned());
        match attribute.attribute("Name") {
            Some(ROLE) => {
                for pair in values.filter_map(|v| role_pair(&v)) {
                    if !out.roles.iter().any(|r| r.role.arn == pair.role.arn) {
                        out.roles.push(pair);
                    }
                }
            }
            Some(ROLE_SESSION_NAME) => out.session_name = values.into_iter().next(),
            Some(SESSION_DURATION) => {
                out.session_duration = values
                    .into_iter()
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|d| DURATION_RANGE.contains(d));
            }
            _ => {}
        }
    }
    if out.roles.is_empty() {
        return Err(SamlError::NoRoles);
    }
    Ok(out)
}

fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name((ns, name)))
}

/// The text of an element, its children's included (an IdP may split a value in CDATA).
fn text(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// `role_arn,principal_arn` in either order (AWS accepts both); `None` for anything else.
fn role_pair(value: &str) -> Option<RolePair> {
    let (a, b) = value.split_once(',')?;
    let (a, b) = (a.trim(), b.trim());
    let (role, principal) = if a.contains(":saml-provider/") {
        (b, a)
    } else {
        (a, b)
    };
    let role = RoleArn::parse(role).ok()?;
    let provider_ok = principal.strip_prefix("arn:").is_some_and(|rest| {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        matches!(parts.as_slice(), [partition, "iam", "", account, resource]
            if *partition == role.partition
                && !account.is_empty()
                && resource.strip_prefix("saml-provider/").is_some_and(|n| !n.is_empty()))
    });
    provider_ok.then(|| RolePair {
        role,
        principal_arn: principal.to_owned(),
    })
}

/// The earliest `NotOnOrAfter` of the bearer confirmation and the conditions: AWS refuses
/// the assertion after either.
fn not_on_or_after(assertion: Node<'_, '_>) -> Option<SystemTime> {
    assertion
        .descendants()
        .filter(|n| {
            n.has_tag_name((ASSERTION_NS, "SubjectConfirmationData"))
                || n.has_tag_name((ASSERTION_NS, "Conditions"))
        })
        .filter_map(|n| n.attribute("NotOnOrAfter"))
        .filter_map(|t| DateTime::from_str(t.trim(), Format::DateTime).ok())
        .filter_map(|t| SystemTime::try_from(t).ok())
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    const ADMIN: &str = "arn:aws:iam::111111111111:role/Admin";
    const ADFS: &str = "arn:aws:iam::111111111111:saml-provider/ADFS";

    fn response(attributes: &str) -> String {
        format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r">
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a">
    <Subject><SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
      <SubjectConfirmationData NotOnOrAfter="2030-01-01T10:05:00.000Z" Recipient="https://signin.aws.amazon.com/saml"/>
    </SubjectConfirmation></Subject>
    <Conditions NotBefore="2030-01-01T09:55:00Z" NotOnOrAfter="2030-01-01T11:00:00Z"/>
    <AttributeStatement>{attributes}</AttributeStatement>
  </Assertion>
</samlp:Response>"#
        )
    }

    fn role_attribute(values: &[&str]) -> String {
        let values: String = values
            .iter()
            .map(|v| format!("<AttributeValue>{v}</AttributeValue>"))
            .collect();
        format!(r#"<Attribute Name="{ROLE}">{values}</Attribute>"#)
    }

    fn parse_xml(xml: &str) -> Result<Assertion, SamlError> {
        parse(&STANDARD.encode(xml))
    }

    #[test]
    fn roles_are_read_in_either_order_with_session_name_duration_and_expiry() {
        let dev = "arn:aws:iam::222222222222:role/team/Developer";
        let dev_idp = "arn:aws:iam::222222222222:saml-provider/ADFS";
        let xml = response(&format!(
            r#"{}
            <Attribute Name="{ROLE_SESSION_NAME}"><AttributeValue>alice@example.com</AttributeValue></Attribute>
            <Attribute Name="{SESSION_DURATION}"><AttributeValue> 28800 </AttributeValue></Attribute>"#,
            role_attribute(&[&format!("{ADMIN},{ADFS}"), &format!("{dev_idp}, {dev}")])
        ));
        let a = parse_xml(&xml).expect("parses");
        let roles: Vec<(&str, &str, &str)> = a
            .roles
            .iter()
            .map(|r| {
                (
                    r.role.account_id.as_str(),
                    r.role.role_name.as_str(),
                    r.principal_arn.as_str(),
                )
            })
            .collect();
        assert_eq!(
            roles,
            [
                ("111111111111", "Admin", ADFS),
                ("222222222222", "Developer", dev_idp)
            ]
        );
        assert_eq!(a.session_name.as_deref(), Some("alice@example.com"));
        assert_eq!(a.session_duration, Some(28_800));
        let earliest = DateTime::from_str("2030-01-01T10:05:00Z", Format::DateTime).expect("t");
        assert_eq!(
            a.not_on_or_after,
            Some(SystemTime::try_from(earliest).expect("t"))
        );
    }

    #[test]
    fn any_namespace_prefix_and_base64_line_breaks_are_accepted() {
        let xml = response(&role_attribute(&[&format!("{ADMIN},{ADFS}")]))
            .replace("<Assertion xmlns=", "<saml2:Assertion xmlns:saml2=")
            .replace("</Assertion>", "</saml2:Assertion>")
            .replace("<Attribute", "<saml2:Attribute")
            .replace("</Attribute", "</saml2:Attribute")
            .replace("<Subject", "<saml2:Subject")
            .replace("</Subject", "</saml2:Subject")
            .replace("<Conditions", "<saml2:Conditions");
        let encoded = STANDARD.encode(&xml);
        let wrapped: String = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| format!("{}\r\n", std::str::from_utf8(c).expect("ascii")))
            .collect();
        let a = parse(&wrapped).expect("parses");
        assert_eq!(a.roles.len(), 1);
        assert!(a.not_on_or_after.is_some());
    }

    #[test]
    fn malformed_role_values_are_skipped_and_duplicates_dropped() {
        let xml = response(&role_attribute(&[
            "not-an-arn",
            ADMIN,
            &format!("{ADMIN},arn:aws:iam::111111111111:user/bob"),
            &format!("{ADMIN},arn:aws-cn:iam::111111111111:saml-provider/ADFS"),
            &format!("{ADMIN},{ADFS}"),
            &format!("{ADFS},{ADMIN}"),
        ]));
        let a = parse_xml(&xml).expect("parses");
        assert_eq!(a.roles.len(), 1);
        assert_eq!(a.roles[0].role.arn, ADMIN);
    }

    #[test]
    fn out_of_range_session_durations_are_ignored() {
        for bad in ["60", "50000", "eight hours", ""] {
            let xml = response(&format!(
                r#"{}<Attribute Name="{SESSION_DURATION}"><AttributeValue>{bad}</AttributeValue></Attribute>"#,
                role_attribute(&[&format!("{ADMIN},{ADFS}")])
            ));
            assert_eq!(parse_xml(&xml).expect("parses").session_duration, None);
        }
    }

    #[test]
    fn unusable_responses_say_why() {
        assert!(matches!(parse("%%%"), Err(SamlError::Unreadable(_))));
        assert!(matches!(
            parse_xml("<not closed"),
            Err(SamlError::Unreadable(_))
        ));
        assert!(matches!(
            parse_xml("<html><body>hello</body></html>"),
            Err(SamlError::Unreadable(_))
        ));
        let no_roles =
            response(r#"<Attribute Name="other"><AttributeValue>x</AttributeValue></Attribute>"#);
        assert!(matches!(parse_xml(&no_roles), Err(SamlError::NoRoles)));
        let denied = response(&role_attribute(&[&format!("{ADMIN},{ADFS}")]))
            .replace("status:Success", "status:Responder");
        assert!(
            matches!(parse_xml(&denied), Err(SamlError::Failed(s)) if s.ends_with("Responder"))
        );
        let encrypted = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">
            <saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/></samlp:Response>"#;
        assert!(matches!(parse_xml(encrypted), Err(SamlError::Encrypted)));
    }

    #[test]
    fn a_dtd_is_refused_so_no_entity_is_ever_expanded() {
        let bomb = format!(
            r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "{ADMIN},{ADFS}">]>{}"#,
            response(&role_attribute(&["&a;"]))
        );
        assert!(matches!(parse_xml(&bomb), Err(SamlError::Unreadable(_))));
    }
}
