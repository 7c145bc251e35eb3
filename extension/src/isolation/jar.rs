//! One account's cookie jar, kept by the extension because Chromium gives every tab the same
//! one. Pure: fed with `Set-Cookie` lines, asked for the `Cookie` header of a domain.
//!
//! Implemented of RFC 6265: name/value, `Domain` (a domain cookie must cover the host that
//! set it; without `Domain` the cookie is host-only), `Path` (kept; see [`Jar::header_for`]),
//! `Max-Age` (whole seconds; wins over `Expires`) and `Expires` (both delete when in the past).
//! Not implemented: `Secure` / `SameSite` / `HttpOnly` change nothing (every isolated request
//! is a top-level AWS page or its own subresource; page scripts never see the jar), path
//! matching (AWS's session cookies are `Path=/`), size and count limits, public-suffix
//! checks beyond "inside the isolated domains" (the caller only feeds AWS responses).

use serde::Serialize;

/// One stored cookie (read back by [`crate::stored::isolation`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    /// Lower case, no leading dot: the host that set it (host-only) or its `Domain`.
    pub domain: String,
    pub path: String,
    /// Epoch milliseconds; `None`: lives as long as the jar (a session cookie).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<f64>,
}

/// One account's cookies, in the order they were first set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Jar {
    pub cookies: Vec<Cookie>,
}

/// Whether `host` is `domain` or one of its sub-domains (both lower case).
pub fn domain_matches(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// What one `Set-Cookie` line asks for.
#[derive(Debug, PartialEq)]
pub enum Change {
    Store(Cookie),
    /// Expired on arrival: delete `name` at `domain` + `path`.
    Delete {
        name: String,
        domain: String,
        path: String,
    },
}

/// Reads one `Set-Cookie` line received from `host` at `now` (epoch ms); `parse_date` turns an
/// HTTP date into epoch ms (the browser's `Date.parse` in the extension). `None`: ignored
/// (no `=`, an empty name, a `Domain` that does not cover `host`).
pub fn parse_set_cookie(
    line: &str,
    host: &str,
    now: f64,
    parse_date: impl Fn(&str) -> Option<f64>,
) -> Option<Change> {
    let host = host.to_ascii_lowercase();
    let mut parts = line.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() || has_control(name) || has_control(value) {
        return None;
    }
    let mut domain = host.clone();
    let mut path = "/".to_owned();
    let mut max_age: Option<f64> = None;
    let mut expires: Option<f64> = None;
    for attribute in parts {
        let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
        let val = val.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "domain" if !val.is_empty() => {
                let wanted = val.trim_start_matches('.').to_ascii_lowercase();
                if !domain_matches(&host, &wanted) {
                    return None;
                }
                domain = wanted;
            }
            "path" if val.starts_with('/') => path = val.to_owned(),
            "max-age" => max_age = delta_seconds(val).map(|s| now + s * 1000.0),
            "expires" => expires = parse_date(val),
            _ => {}
        }
    }
    let expires = max_age.or(expires);
    if expires.is_some_and(|at| at <= now) {
        return Some(Change::Delete {
            name: name.to_owned(),
            domain,
            path,
        });
    }
    Some(Change::Store(Cookie {
        name: name.to_owned(),
        value: value.to_owned(),
        domain,
        path,
        expires,
    }))
}

/// `Max-Age`'s seconds: an optional `-` and digits, else `None` (the attribute is ignored), as
/// RFC 6265 §5.2.2 reads it. Read as an integer: a float parser's tables were a third of the
/// background's wasm data.
fn delta_seconds(val: &str) -> Option<f64> {
    let digits = val.strip_prefix('-').unwrap_or(val);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Only digits: the parse fails on overflow alone, which is as good as forever (or never).
    let beyond = if digits.len() < val.len() {
        i64::MIN
    } else {
        i64::MAX
    };
    Some(val.parse::<i64>().unwrap_or(beyond) as f64)
}

/// CR, LF and other controls would break the header DNR sets (it refuses them).
fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control())
}

impl Jar {
    /// Applies one change; true when the jar changed.
    pub fn apply(&mut self, change: Change) -> bool {
        match change {
            Change::Store(cookie) => {
                let same = |c: &Cookie| {
                    c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path
                };
                match self.cookies.iter_mut().find(|c| same(c)) {
                    Some(old) if *old == cookie => false,
                    Some(old) => {
                        *old = cookie;
                        true
                    }
                    None => {
                        self.cookies.push(cookie);
                        true
                    }
                }
            }
            Change::Delete { name, domain, path } => {
                let before = self.cookies.len();
                self.cookies
                    .retain(|c| !(c.name == name && c.domain == domain && c.path == path));
                self.cookies.len() != before
            }
        }
    }

    /// Drops cookies expired at `now`; true when any was.
    pub fn purge(&mut self, now: f64) -> bool {
        let before = self.cookies.len();
        self.cookies.retain(|c| c.expires.is_none_or(|at| at > now));
        self.cookies.len() != before
    }

    /// The distinct domains cookies are set on: one DNR rule each.
    pub fn domains(&self) -> Vec<&str> {
        crate::sorted::set_of(self.cookies.iter().map(|c| c.domain.as_str()))
    }

    /// The `Cookie` header for a request to `host` (or any of its sub-domains: a DNR rule
    /// matches a domain and everything under it), longest path first as browsers send them;
    /// `None` when no cookie applies. Every path is sent (see the module doc).
    pub fn header_for(&self, host: &str) -> Option<String> {
        let mut matching: Vec<&Cookie> = Vec::new();
        for cookie in self
            .cookies
            .iter()
            .filter(|c| domain_matches(host, &c.domain))
        {
            // After each cookie of a path as long or longer: a stable order, without a sort
            // (whose code is large in wasm).
            let at = matching.partition_point(|c| c.path.len() >= cookie.path.len());
            matching.insert(at, cookie);
        }
        let pairs: Vec<String> = matching
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_000_000.0;

    fn parse(line: &str, host: &str) -> Option<Change> {
        parse_set_cookie(line, host, NOW, |d| (d == "past").then_some(1.0))
    }

    fn must(line: &str, host: &str) -> Change {
        parse(line, host).expect("a cookie line")
    }

    fn store(line: &str, host: &str) -> Cookie {
        match parse(line, host) {
            Some(Change::Store(c)) => c,
            other => panic!("expected a cookie, got {other:?}"),
        }
    }

    #[test]
    fn the_stub_consoles_session_cookie_is_a_domain_cookie_on_the_parent() {
        let c = store(
            "aws-session=abc; Domain=fakeaws.test; Path=/; HttpOnly",
            "signin.fakeaws.test",
        );
        assert_eq!((c.name.as_str(), c.value.as_str()), ("aws-session", "abc"));
        assert_eq!(c.domain, "fakeaws.test");
        assert_eq!(c.expires, None);
    }

    #[test]
    fn without_domain_a_cookie_is_host_only_and_a_foreign_domain_is_refused() {
        assert_eq!(
            store("a=1", "Console.AWS.amazon.com").domain,
            "console.aws.amazon.com"
        );
        assert_eq!(
            parse("a=1; Domain=example.com", "signin.aws.amazon.com"),
            None
        );
        assert_eq!(
            parse("a=1; Domain=n.aws.amazon.com", "signin.aws.amazon.com"),
            None
        );
        assert!(parse("a=1; Domain=.aws.amazon.com", "signin.aws.amazon.com").is_some());
    }

    #[test]
    fn nameless_and_control_character_cookies_are_ignored() {
        assert_eq!(parse("novalue", "h.test"), None);
        assert_eq!(parse("=x", "h.test"), None);
        assert_eq!(parse("a=b\r\nc", "h.test"), None);
    }

    #[test]
    fn max_age_zero_and_a_past_expiry_delete_and_max_age_beats_expires() {
        let mut jar = Jar::default();
        assert!(jar.apply(must("s=1; Domain=f.test", "a.f.test")));
        assert!(jar.apply(must("s=; Domain=f.test; Max-Age=0", "a.f.test")));
        assert!(jar.cookies.is_empty());
        assert!(jar.apply(must("s=2", "a.f.test")));
        assert!(jar.apply(must("s=; Expires=past", "a.f.test")));
        assert!(jar.cookies.is_empty());
        let c = store("s=3; Expires=past; Max-Age=60", "a.f.test");
        assert_eq!(c.expires, Some(NOW + 60_000.0));
    }

    #[test]
    fn max_age_is_whole_seconds_as_rfc_6265_reads_it() {
        assert!(jar_deletes("s=1; Max-Age=-5"));
        assert_eq!(store("s=1; Max-Age=1.5", "h.test").expires, None, "ignored");
        assert_eq!(store("s=1; Max-Age=+5", "h.test").expires, None, "ignored");
        assert_eq!(store("s=1; Max-Age=", "h.test").expires, None, "ignored");
        let far = store("s=1; Max-Age=99999999999999999999", "h.test").expires;
        assert!(far.is_some_and(|at| at > NOW + 1e20), "{far:?}");
    }

    fn jar_deletes(line: &str) -> bool {
        matches!(parse(line, "h.test"), Some(Change::Delete { .. }))
    }

    #[test]
    fn a_new_value_replaces_the_old_one_and_the_same_value_changes_nothing() {
        let mut jar = Jar::default();
        assert!(jar.apply(must("s=1; Path=/", "h.test")));
        assert!(!jar.apply(must("s=1; Path=/", "h.test")));
        assert!(jar.apply(must("s=2; Path=/", "h.test")));
        assert_eq!(jar.cookies.len(), 1);
        assert_eq!(jar.cookies[0].value, "2");
    }

    #[test]
    fn expired_cookies_are_purged() {
        let mut jar = Jar::default();
        jar.apply(must("s=1; Max-Age=1", "h.test"));
        assert!(!jar.purge(NOW));
        assert!(jar.purge(NOW + 1000.0));
    }

    #[test]
    fn the_header_of_a_host_has_its_domain_cookies_and_its_own_longest_path_first() {
        let mut jar = Jar::default();
        jar.apply(must("d=1; Domain=f.test", "s.f.test"));
        jar.apply(must("h=2; Path=/console", "c.f.test"));
        jar.apply(must("o=3", "other.f.test"));
        assert_eq!(jar.header_for("c.f.test").as_deref(), Some("h=2; d=1"));
        assert_eq!(jar.header_for("f.test").as_deref(), Some("d=1"));
        assert_eq!(jar.header_for("x.f.test").as_deref(), Some("d=1"));
        assert_eq!(jar.domains(), ["c.f.test", "f.test", "other.f.test"]);
    }

    #[test]
    fn domain_matching_respects_label_boundaries() {
        assert!(domain_matches("a.b.test", "b.test"));
        assert!(domain_matches("b.test", "b.test"));
        assert!(!domain_matches("ab.test", "b.test"));
        assert!(!domain_matches("test", "b.test"));
    }
}
