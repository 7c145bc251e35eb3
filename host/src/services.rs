//! `--service` shortcuts: a name such as `ec2` or `r53` → the console page it opens.
//!
//! The table is data (`services.toml`, compiled in and parsed once). A shortcut only ever
//! yields a path on the console, which then goes through [`crate::federation::destination`]
//! like any other destination.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::error::HostError;

const TABLE: &str = include_str!("services.toml");

/// One console service a shortcut can open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The shortcut (`ec2`).
    pub name: &'static str,
    /// Its human name (`EC2`).
    pub title: &'static str,
    /// The console path; `{region}` stands for the console region.
    pub path: &'static str,
    /// Other names that open the same page.
    pub aliases: Vec<&'static str>,
}

#[derive(Deserialize)]
struct File {
    service: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Page(Page),
    Alias(Alias),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    title: String,
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Alias {
    alias: String,
}

struct Table {
    /// Services by their own name, sorted.
    services: Vec<Service>,
    /// Every name, own or alias → index in `services`.
    names: BTreeMap<&'static str, usize>,
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Parses the table. Errors name the entry; the unit tests make sure there are none.
fn parse(text: &str) -> Result<Table, String> {
    let file: File = toml::from_str(text).map_err(|e| format!("services.toml: {e}"))?;
    let mut services = Vec::new();
    let mut names = BTreeMap::new();
    let mut aliases = Vec::new();
    for (name, entry) in file.service {
        let name = leak(name);
        match entry {
            Entry::Page(Page { title, path }) => {
                names.insert(name, services.len());
                services.push(Service {
                    name,
                    title: leak(title),
                    path: leak(path),
                    aliases: Vec::new(),
                });
            }
            Entry::Alias(Alias { alias }) => aliases.push((name, alias)),
        }
    }
    for (name, target) in aliases {
        let index = *names.get(target.as_str()).ok_or_else(|| {
            format!("services.toml: `{name}` is an alias of `{target}`, which is not a service")
        })?;
        services[index].aliases.push(name);
        names.insert(name, index);
    }
    Ok(Table { services, names })
}

fn table() -> &'static Table {
    static TABLE_CELL: OnceLock<Table> = OnceLock::new();
    TABLE_CELL.get_or_init(|| {
        parse(TABLE).unwrap_or_else(|e| {
            // The unit tests parse the same text: this cannot happen in a tested build.
            tracing::error!("{e}");
            Table {
                services: Vec::new(),
                names: BTreeMap::new(),
            }
        })
    })
}

/// Every service, sorted by name.
pub fn all() -> &'static [Service] {
    &table().services
}

/// The service a name (or alias) stands for. Case-insensitive.
pub fn find(name: &str) -> Option<&'static Service> {
    let table = table();
    table
        .names
        .get(name.to_ascii_lowercase().as_str())
        .map(|&i| &table.services[i])
}

/// The console path a shortcut opens in `region` (already checked to be a region name).
pub fn path(name: &str, region: &str) -> Result<String, HostError> {
    let service = find(name).ok_or_else(|| HostError::InvalidRequest {
        message: format!("`{name}` is not a service roleport knows"),
        hint: "`roleport services` lists the shortcuts; or give a console path with --destination."
            .into(),
    })?;
    Ok(service.path.replace("{region}", region))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::{destination, Endpoints};

    #[test]
    fn the_table_parses_and_is_large() {
        let table = parse(TABLE).expect("services.toml parses");
        assert!(table.names.len() >= 84, "only {} names", table.names.len());
        assert!(table.services.len() >= 80);
        assert_eq!(all().len(), table.services.len());
    }

    #[test]
    fn every_entry_is_a_console_path_with_only_the_region_placeholder() {
        for s in all() {
            for name in std::iter::once(s.name).chain(s.aliases.iter().copied()) {
                assert!(
                    name.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                    "{name}"
                );
            }
            assert!(
                s.path.starts_with('/') && !s.path.starts_with("//"),
                "{}",
                s.name
            );
            let rest = s.path.replace("{region}", "");
            assert!(
                !rest.contains(['{', '}', '\\', ' ']),
                "{}: {}",
                s.name,
                s.path
            );
            assert!(!s.title.is_empty(), "{}", s.name);
        }
    }

    #[test]
    fn every_entry_yields_a_destination_inside_every_partitions_console() {
        let endpoints = Endpoints::default();
        for region in [
            "us-east-1",
            "eu-west-1",
            "us-gov-west-1",
            "cn-north-1",
            "eusc-de-east-1",
        ] {
            let target = endpoints.target(None, Some(region), None).expect(region);
            for s in all() {
                let path = path(s.name, &target.region).expect("known");
                let url = destination(&target.urls, &target.region, Some(&path))
                    .unwrap_or_else(|e| panic!("{} in {region}: {e}", s.name));
                let root = target.urls.console_root.host_str().expect("host");
                assert!(url.host_str().is_some_and(|h| h.ends_with(root)), "{url}");
                assert!(!url.as_str().contains("{region}"), "{url}");
            }
        }
    }

    #[test]
    fn aliases_and_case_find_the_same_service() {
        assert_eq!(find("r53").map(|s| s.name), Some("route53"));
        assert_eq!(find("EC2").map(|s| s.name), Some("ec2"));
        assert_eq!(
            path("ddb", "eu-west-1").expect("known"),
            "/dynamodbv2/home?region=eu-west-1"
        );
        assert_eq!(path("iam", "eu-west-1").expect("known"), "/iam/home");
        assert!(matches!(
            path("nope", "eu-west-1"),
            Err(HostError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn a_broken_table_is_reported_by_entry() {
        let dangling = "[service]\nx = { alias = \"y\" }\n";
        assert!(parse(dangling).err().is_some_and(|e| e.contains("`x`")));
        let duplicate = "[service]\nx = { title = \"X\", path = \"/x\" }\nx = { alias = \"x\" }\n";
        assert!(parse(duplicate).is_err());
    }
}
