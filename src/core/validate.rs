//! Input validation shared by every service. Each check names the offending field with its
//! proto path, so callers get `kafka_config.heap_size: ...` rather than a bare "invalid".

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::error::{Error, Result};

static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z]([a-z0-9-]*[a-z0-9])?$").expect("valid regex"));
static LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9-]*$").expect("valid regex"));
static TAG_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$").expect("valid regex"));
static HEAP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[1-9][0-9]{0,6}[kKmMgG]$").expect("valid regex"));
static PROPERTY_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9][a-z0-9._-]*$").expect("valid regex"));
static IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$")
        .expect("valid regex")
});

pub const MAX_CLUSTER_NAME: usize = 40;
pub const MAX_TEMPLATE_ID: usize = 63;
pub const MAX_DESCRIPTION: usize = 1024;
pub const MAX_TAGS: usize = 32;

/// A cluster name: it becomes part of container, network and directory names.
pub fn cluster_name(field: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if name.len() > MAX_CLUSTER_NAME || !NAME.is_match(name) {
        return Err(Error::invalid(
            field,
            format!(
                "'{}' is not a valid cluster name: use 1 to {MAX_CLUSTER_NAME} lowercase letters, digits and '-', starting with a letter and not ending with '-'",
                printable(name)
            ),
        ));
    }
    if uuid::Uuid::parse_str(name).is_ok() {
        return Err(Error::invalid(
            field,
            "a cluster name cannot have the form of a cluster id (UUID)",
        ));
    }
    Ok(())
}

pub fn template_id(field: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if id.len() > MAX_TEMPLATE_ID || !NAME.is_match(id) {
        return Err(Error::invalid(
            field,
            format!(
                "'{}' is not a valid template id: use 1 to {MAX_TEMPLATE_ID} lowercase letters, digits and '-', starting with a letter",
                printable(id)
            ),
        ));
    }
    Ok(())
}

pub fn environment(field: &str, env: &str) -> Result<()> {
    if env.len() > 32 || !LABEL.is_match(env) {
        return Err(Error::invalid(
            field,
            format!(
                "'{}' is not a valid environment: use up to 32 lowercase letters, digits and '-', starting with a letter (e.g. dev, test, staging, prod)",
                printable(env)
            ),
        ));
    }
    Ok(())
}

pub fn description(field: &str, text: &str) -> Result<()> {
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(Error::invalid(
            field,
            format!("is longer than {MAX_DESCRIPTION} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::invalid(field, "contains control characters"));
    }
    Ok(())
}

pub fn tags(field: &str, tags: &HashMap<String, String>) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_TAGS} tags are allowed"),
        ));
    }
    for (k, v) in tags {
        tag_key(field, k)?;
        if v.chars().count() > 256 || v.chars().any(char::is_control) {
            return Err(Error::invalid(
                format!("{field}.{k}"),
                "tag values are at most 256 characters, without control characters",
            ));
        }
    }
    Ok(())
}

pub fn tag_key(field: &str, key: &str) -> Result<()> {
    if key.len() > 63 || !TAG_KEY.is_match(key) {
        return Err(Error::invalid(
            field,
            format!(
                "'{}' is not a valid tag key: use 1 to 63 letters, digits, '.', '_', '/' or '-'",
                printable(key)
            ),
        ));
    }
    Ok(())
}

pub fn heap_size(field: &str, heap: &str) -> Result<()> {
    if !HEAP.is_match(heap) {
        return Err(Error::invalid(
            field,
            format!(
                "'{}' is not a heap size: use a number with a unit K, M or G, e.g. 512M or 1G",
                printable(heap)
            ),
        ));
    }
    Ok(())
}

/// Heap size in MiB ("1G" -> 1024, "512M" -> 512, "65536K" -> 64).
pub fn heap_mb(heap: &str) -> Option<u64> {
    let (num, unit) = heap.split_at(heap.len().checked_sub(1)?);
    let n: u64 = num.parse().ok()?;
    match unit {
        "k" | "K" => Some(n / 1024),
        "m" | "M" => Some(n),
        "g" | "G" => Some(n * 1024),
        _ => None,
    }
}

pub fn image(field: &str, image: &str) -> Result<()> {
    if image.len() > 255 || !IMAGE.is_match(image) {
        return Err(Error::invalid(
            field,
            format!(
                "'{}' is not a valid image reference (expected e.g. apache/kafka:4.1.0)",
                printable(image)
            ),
        ));
    }
    Ok(())
}

/// Broker, REST proxy or UI property set by the user. Keys and values end up in generated
/// files and container environments, so nothing that could inject a second entry passes.
pub fn custom_properties(
    field: &str,
    props: &HashMap<String, String>,
    reserved: &[&str],
) -> Result<()> {
    if props.len() > 128 {
        return Err(Error::invalid(field, "at most 128 custom properties"));
    }
    for (k, v) in props {
        if k.len() > 249 || !PROPERTY_KEY.is_match(k) || k.contains("..") {
            return Err(Error::invalid(
                field,
                format!(
                    "'{}' is not a valid property name: use lowercase letters, digits, '.', '_' and '-' (e.g. log.cleaner.enable)",
                    printable(k)
                ),
            ));
        }
        if reserved.contains(&k.as_str()) {
            return Err(Error::invalid(
                format!("{field}.{k}"),
                "this property is managed by lkm and cannot be set",
            ));
        }
        if v.len() > 4096 || v.chars().any(char::is_control) {
            return Err(Error::invalid(
                format!("{field}.{k}"),
                "property values are at most 4096 characters, without newlines or control characters",
            ));
        }
    }
    Ok(())
}

/// Bootstrap servers: "host:port" entries separated by commas. Returns the normalized list.
pub fn bootstrap_servers(field: &str, servers: &str) -> Result<String> {
    let mut out = Vec::new();
    for entry in servers.split(',').map(str::trim) {
        let bad = || {
            Error::invalid(
                field,
                format!(
                    "'{}' is not host:port (expected e.g. localhost:9092,broker2:9092)",
                    printable(entry)
                ),
            )
        };
        let (host, port) = entry.rsplit_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':')
            });
        if !host_ok || port == 0 {
            return Err(bad());
        }
        out.push(format!("{host}:{port}"));
    }
    if out.is_empty() || out.len() > 32 {
        return Err(Error::invalid(field, "give 1 to 32 host:port entries"));
    }
    Ok(out.join(","))
}

pub fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    field: &str,
    value: T,
    min: T,
    max: T,
) -> Result<()> {
    if value < min || value > max {
        return Err(Error::invalid(
            field,
            format!("{value} is out of range: must be between {min} and {max}"),
        ));
    }
    Ok(())
}

/// Echo user text in errors without letting it forge lines or flood the message.
pub fn printable(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_names() {
        for ok in ["a", "dev", "team-a-1", "x9"] {
            cluster_name("name", ok).unwrap();
        }
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "1abc",
            "a_b",
            "a.b",
            "../x",
            "a b",
            "a\nb",
            &"a".repeat(41),
            "a1b2c3d4-e5f6-4789-8abc-def012345678",
        ] {
            assert!(cluster_name("name", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn heap_sizes() {
        assert_eq!(heap_mb("1G"), Some(1024));
        assert_eq!(heap_mb("512M"), Some(512));
        assert_eq!(heap_mb("2048k"), Some(2));
        for bad in ["", "1", "G", "0G", "1GB", "-1G", "1.5G"] {
            assert!(heap_size("h", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn images() {
        for ok in [
            "apache/kafka:4.1.0",
            "ghcr.io/kafbat/kafka-ui:v1.3.0",
            "localhost:5000/lkm/tansu:latest",
            "tansu",
        ] {
            image("i", ok).unwrap();
        }
        for bad in ["", "Apache/Kafka", "a b", "a;rm -rf /", "a:tag\n"] {
            assert!(image("i", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn properties_cannot_inject() {
        let reserved = ["listeners"];
        let mut p = HashMap::new();
        p.insert("log.cleaner.enable".to_string(), "true".to_string());
        custom_properties("p", &p, &reserved).unwrap();
        for (k, v) in [
            ("a\nb", "x"),
            ("a=b", "x"),
            ("a", "x\nlisteners=PLAINTEXT://0.0.0.0:1"),
            ("listeners", "x"),
            ("A", "x"),
        ] {
            let mut p = HashMap::new();
            p.insert(k.to_string(), v.to_string());
            assert!(
                custom_properties("p", &p, &reserved).is_err(),
                "{k:?}={v:?} accepted"
            );
        }
    }
}
