//! Page tokens (AIP-158): opaque to callers, bound to the filter they were issued for, and
//! stable when items are added or removed between pages (they carry the last sort key, not
//! an offset).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::error::{Error, Result};

pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 1000;

pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: String,
    pub total_size: i32,
}

/// A fingerprint of the filter a listing was made with.
pub fn fingerprint(parts: &[&dyn std::fmt::Debug]) -> u64 {
    let mut h = DefaultHasher::new();
    for p in parts {
        format!("{p:?}").hash(&mut h);
    }
    h.finish()
}

/// Returns one page of `items`, which must be sorted by `key` ascending.
pub fn paginate<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    page_size: i32,
    page_token: &str,
    filter: u64,
) -> Result<Page<T>> {
    let size = match page_size {
        0 => DEFAULT_PAGE_SIZE,
        n if n < 0 => {
            return Err(Error::invalid("page_size", "must not be negative"));
        }
        n => (n as usize).min(MAX_PAGE_SIZE),
    };
    let after = if page_token.is_empty() {
        None
    } else {
        Some(decode(page_token, filter)?)
    };
    let total = items.len();
    let mut rest: Vec<T> = match &after {
        Some(after) => items.into_iter().filter(|i| key(i) > *after).collect(),
        None => items,
    };
    let next_page_token = if rest.len() > size {
        rest.truncate(size);
        rest.last()
            .map(|last| encode(&key(last), filter))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Page {
        items: rest,
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

fn encode(key: &str, filter: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1\n{filter:x}\n{key}"))
}

fn decode(token: &str, filter: u64) -> Result<String> {
    let bad = || {
        Error::invalid(
            "page_token",
            "is not a page token issued by this server (take next_page_token of the previous page)",
        )
    };
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = text.splitn(3, '\n');
    if parts.next() != Some("v1") {
        return Err(bad());
    }
    let f = parts.next().ok_or_else(bad)?;
    if u64::from_str_radix(f, 16).map_err(|_| bad())? != filter {
        return Err(Error::invalid(
            "page_token",
            "was issued for a listing with other filters; repeat the same filters or start over without a token",
        ));
    }
    parts.next().map(str::to_string).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_everything_once() {
        let items: Vec<u32> = (0..25).collect();
        let key = |i: &u32| format!("{i:05}");
        let mut seen = vec![];
        let mut token = String::new();
        loop {
            let page = paginate(items.clone(), key, 10, &token, 7).unwrap();
            assert_eq!(page.total_size, 25);
            seen.extend(page.items);
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn tokens_are_checked() {
        let items: Vec<u32> = (0..5).collect();
        let key = |i: &u32| format!("{i:05}");
        let page = paginate(items.clone(), key, 2, "", 1).unwrap();
        assert!(paginate(items.clone(), key, 2, &page.next_page_token, 2).is_err());
        assert!(paginate(items.clone(), key, 2, "garbage!", 1).is_err());
        assert!(paginate(items, key, -1, "", 1).is_err());
    }
}
