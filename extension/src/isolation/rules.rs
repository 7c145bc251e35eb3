//! Which tab belongs to which account's jar, and the declarativeNetRequest session rules that
//! state asks for. Pure: the background recomputes every rule from [`State`] after each change
//! and swaps them in with one `updateSessionRules` call, so the browser never holds a mix.

use litemap::LiteMap;
use serde::Serialize;

use super::jar::Jar;

/// Everything isolation remembers (kept in `storage.session`: it survives a service-worker
/// restart, as the session rules do, and ends with the browser, as they do; read back by
/// [`crate::stored::isolation`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct State {
    /// Profile name → its jar.
    pub jars: LiteMap<String, Jar>,
    /// Tab id → the profile whose jar it uses.
    pub tabs: LiteMap<i64, String>,
    /// Tab id → the sign-in host it may load while its login hop runs; every other top-level
    /// load of the isolated domains in that tab is blocked until the hop's cookie is in the jar.
    pub gates: LiteMap<i64, String>,
}

/// Rule ids per jar: one for the domain-wide rule and one per cookie domain. Gates take the
/// ids after the last jar's. Ids are renumbered at every swap (tab ids do not fit: Chromium's
/// can pass 2^31, and a rule id is a 32-bit integer).
const PER_JAR: i64 = 100;

/// Every resource type, so page loads, frames, fetches and WebSockets all get the jar
/// (without an explicit list DNR leaves `main_frame` out).
const ALL_TYPES: [&str; 15] = [
    "main_frame",
    "sub_frame",
    "stylesheet",
    "script",
    "image",
    "font",
    "object",
    "xmlhttprequest",
    "ping",
    "csp_report",
    "media",
    "websocket",
    "webtransport",
    "webbundle",
    "other",
];

impl State {
    /// Puts `tab` in `profile`'s jar (created empty if new); true when that changed anything.
    pub fn assign(&mut self, tab: i64, profile: &str) -> bool {
        self.jars.entry(profile.to_owned()).or_default();
        self.tabs.insert(tab, profile.to_owned()).as_deref() != Some(profile)
    }

    /// Forgets `tab`, and its profile's jar when no tab uses it any more.
    pub fn forget(&mut self, tab: i64) -> bool {
        self.gates.remove(&tab);
        let Some(profile) = self.tabs.remove(&tab) else {
            return false;
        };
        if !self.tabs.values().any(|p| *p == profile) {
            self.jars.remove(&profile);
        }
        true
    }

    /// The jar `tab` uses.
    pub fn jar_of(&mut self, tab: i64) -> Option<&mut Jar> {
        let profile = self.tabs.get(&tab)?;
        self.jars.get_mut(profile)
    }

    /// The session rules this state asks for; `domains` are the isolated domains (the
    /// manifest's wildcard host permissions).
    pub fn rules(&self, domains: &[String]) -> Vec<Rule> {
        let mut rules = Vec::new();
        let with_tabs = self.jars.iter().filter_map(|(profile, jar)| {
            let tabs: Vec<i64> = (self.tabs.iter())
                .filter(|(_, p)| *p == profile)
                .map(|(t, _)| *t)
                .collect();
            (!tabs.is_empty()).then_some((jar, tabs))
        });
        let mut jars = 0;
        for (index, (jar, tabs)) in (0_i64..).zip(with_tabs) {
            jars = index + 1;
            let first = 1 + index * PER_JAR;
            // Lowest priority: no cookie of the shared jar leaves these tabs, and no
            // Set-Cookie reaches it (the jar learns them from onHeadersReceived instead).
            rules.push(cookie_rule(first, 1, &tabs, domains, None));
            for (slot, domain) in (1..PER_JAR).zip(jar.domains()) {
                let Some(header) = jar.header_for(domain) else {
                    continue;
                };
                // A more specific domain wins: DNR applies the highest-priority `set`.
                let priority = 2 + domain.matches('.').count() as i64;
                let only = [domain.to_owned()];
                rules.push(cookie_rule(
                    first + slot,
                    priority,
                    &tabs,
                    &only,
                    Some(&header),
                ));
            }
        }
        for (id, (tab, signin_host)) in (1 + jars * PER_JAR..).zip(&self.gates) {
            rules.push(Rule {
                id,
                priority: 1000,
                action: Action::Block,
                condition: Condition {
                    tab_ids: vec![*tab],
                    request_domains: domains.to_vec(),
                    excluded_request_domains: vec![signin_host.clone()],
                    resource_types: &["main_frame"],
                },
            });
        }
        rules
    }
}

/// The isolated domains: those of the manifest's wildcard host permissions
/// (`https://*.aws.amazon.com/*` → `aws.amazon.com`), each once. A test build adds its stub's.
pub fn domains_of(patterns: &[String]) -> Vec<String> {
    crate::sorted::set_of(
        patterns
            .iter()
            .filter_map(|p| p.split_once("://*.").map(|(_, rest)| rest))
            .filter_map(|rest| rest.split(['/', ':']).next())
            .filter(|d| !d.is_empty() && !d.contains('*'))
            .map(|d| d.to_ascii_lowercase()),
    )
}

/// One declarativeNetRequest session rule, as `updateSessionRules` takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub id: i64,
    pub priority: i64,
    pub action: Action,
    pub condition: Condition,
}

/// A rule's `action`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Action {
    /// No load at all.
    Block,
    /// The `Cookie` header set or removed, `Set-Cookie` removed.
    #[serde(rename_all = "camelCase")]
    ModifyHeaders {
        request_headers: [HeaderChange; 1],
        response_headers: [HeaderChange; 1],
    },
}

/// One entry of `requestHeaders` / `responseHeaders`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeaderChange {
    pub header: &'static str,
    /// `set` or `remove`.
    pub operation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A rule's `condition`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    pub tab_ids: Vec<i64>,
    pub request_domains: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excluded_request_domains: Vec<String>,
    pub resource_types: &'static [&'static str],
}

fn cookie_rule(
    id: i64,
    priority: i64,
    tabs: &[i64],
    domains: &[String],
    cookie: Option<&str>,
) -> Rule {
    let change = |header, operation, value| HeaderChange {
        header,
        operation,
        value,
    };
    let request = match cookie {
        Some(value) => change("cookie", "set", Some(value.to_owned())),
        None => change("cookie", "remove", None),
    };
    Rule {
        id,
        priority,
        action: Action::ModifyHeaders {
            request_headers: [request],
            response_headers: [change("set-cookie", "remove", None)],
        },
        condition: Condition {
            tab_ids: tabs.to_vec(),
            request_domains: domains.to_vec(),
            excluded_request_domains: Vec::new(),
            resource_types: &ALL_TYPES,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::jar::{parse_set_cookie, Jar};
    use super::*;
    use serde_json::{json, Value};

    /// The rules as the browser gets them.
    fn rules_of(state: &State) -> Vec<Value> {
        let rules = state.rules(&domains());
        rules
            .iter()
            .map(|r| serde_json::to_value(r).expect("serialises"))
            .collect()
    }

    fn domains() -> Vec<String> {
        vec!["fakeaws.test".to_owned()]
    }

    fn jar(lines: &[(&str, &str)]) -> Jar {
        let mut jar = Jar::default();
        for (line, host) in lines {
            jar.apply(parse_set_cookie(line, host, 0.0, |_| None).expect("a cookie"));
        }
        jar
    }

    #[test]
    fn a_tab_without_cookies_still_sends_none_of_the_shared_jar_and_stores_nothing_in_it() {
        let mut state = State::default();
        assert!(state.assign(7, "prod"));
        let rules = rules_of(&state);
        assert_eq!(rules.len(), 1);
        let rule = &rules[0];
        assert_eq!(rule["condition"]["tabIds"], json!([7]));
        assert_eq!(rule["action"]["requestHeaders"][0]["operation"], "remove");
        assert_eq!(rule["action"]["responseHeaders"][0]["header"], "set-cookie");
        let types = rule["condition"]["resourceTypes"]
            .as_array()
            .expect("a list");
        assert!(types.contains(&json!("main_frame")));
    }

    #[test]
    fn each_jar_sets_its_own_cookie_for_its_own_tabs_only() {
        let mut state = State::default();
        state.assign(1, "prod");
        state.assign(2, "dev");
        state.assign(3, "prod");
        state.jars.insert(
            "prod".into(),
            jar(&[("s=P; Domain=fakeaws.test", "signin.fakeaws.test")]),
        );
        state.jars.insert(
            "dev".into(),
            jar(&[("s=D; Domain=fakeaws.test", "signin.fakeaws.test")]),
        );
        let rules = rules_of(&state);
        let setting: Vec<(Value, Value)> = rules
            .iter()
            .filter(|r| r["action"]["requestHeaders"][0]["operation"] == "set")
            .map(|r| {
                (
                    r["condition"]["tabIds"].clone(),
                    r["action"]["requestHeaders"][0]["value"].clone(),
                )
            })
            .collect();
        assert_eq!(
            setting,
            [(json!([2]), json!("s=D")), (json!([1, 3]), json!("s=P"))]
        );
        let ids = crate::sorted::set_of(rules.iter().filter_map(|r| r["id"].as_i64()));
        assert_eq!(ids.len(), rules.len(), "ids are unique");
        assert!(
            ids.iter().all(|id| (1..i64::from(i32::MAX)).contains(id)),
            "32-bit ids"
        );
    }

    #[test]
    fn a_more_specific_domain_has_a_higher_priority_and_carries_the_parents_cookies() {
        let mut state = State::default();
        state.assign(1, "prod");
        state.jars.insert(
            "prod".into(),
            jar(&[
                ("d=1; Domain=fakeaws.test", "signin.fakeaws.test"),
                ("h=2", "console.fakeaws.test"),
            ]),
        );
        let rules = rules_of(&state);
        let of = |domain: &str| {
            rules
                .iter()
                .find(|r| r["condition"]["requestDomains"] == json!([domain]) && r["priority"] != 1)
                .cloned()
                .expect("a rule")
        };
        let host = of("console.fakeaws.test");
        let parent = of("fakeaws.test");
        assert!(host["priority"].as_i64() > parent["priority"].as_i64());
        assert_eq!(host["action"]["requestHeaders"][0]["value"], "d=1; h=2");
        assert_eq!(parent["action"]["requestHeaders"][0]["value"], "d=1");
    }

    #[test]
    fn a_gate_blocks_top_level_loads_but_the_sign_in_host_while_the_login_hop_runs() {
        let mut state = State::default();
        state.assign(1_298_388_852, "prod");
        state
            .gates
            .insert(1_298_388_852, "signin.fakeaws.test".into());
        let gate = rules_of(&state)
            .into_iter()
            .find(|r| r["action"]["type"] == "block")
            .expect("a gate");
        assert_eq!(gate["id"], 1 + PER_JAR, "after the one jar's ids");
        assert_eq!(
            gate["condition"]["excludedRequestDomains"],
            json!(["signin.fakeaws.test"])
        );
        assert_eq!(gate["condition"]["resourceTypes"], json!(["main_frame"]));
    }

    #[test]
    fn the_last_tab_of_a_jar_takes_the_jar_with_it() {
        let mut state = State::default();
        state.assign(1, "prod");
        state.assign(2, "prod");
        state.gates.insert(2, "signin.fakeaws.test".into());
        assert!(state.forget(2));
        assert!(state.gates.is_empty());
        assert!(state.jars.contains_key("prod"));
        assert!(state.forget(1));
        assert!(state.jars.is_empty());
        assert!(rules_of(&state).is_empty());
        assert!(!state.forget(1));
    }

    #[test]
    fn isolated_domains_come_from_wildcard_host_permissions_only() {
        let patterns = [
            "https://signin.aws.amazon.com/*",
            "https://*.aws.amazon.com/*",
            "wss://*.aws.amazon.com/*",
            "http://*.fakeaws.test/*",
            "<all_urls>",
        ]
        .map(String::from);
        assert_eq!(domains_of(&patterns), ["aws.amazon.com", "fakeaws.test"]);
    }
}
