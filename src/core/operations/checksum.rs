//! The checksum a migration keeps per partition: a chain of FNV-1a hashes over every record's
//! key, value and headers, in order. Being a chain, it notices a record missing, added,
//! changed or out of place; being one u64, it is checkpointed with the progress and survives
//! a restart. (Defined here, not taken from a hasher of the standard library, because it
//! must give the same value in every lkm version that resumes a migration.)

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(PRIME);
    }
    h
}

/// Length-prefixed, so ("ab", "c") and ("a", "bc") differ; a missing key or value differs
/// from an empty one.
fn field(h: u64, bytes: Option<&[u8]>) -> u64 {
    match bytes {
        None => fnv(h, &[0xff; 8]),
        Some(b) => fnv(fnv(h, &(b.len() as u64).to_le_bytes()), b),
    }
}

/// The hash of one record.
pub fn record(key: Option<&[u8]>, value: Option<&[u8]>, headers: &[(String, Vec<u8>)]) -> u64 {
    let mut h = field(field(OFFSET_BASIS, key), value);
    h = fnv(h, &(headers.len() as u64).to_le_bytes());
    for (k, v) in headers {
        h = field(field(h, Some(k.as_bytes())), Some(v));
    }
    h
}

/// The chain after one more record.
pub fn chain(state: u64, record_hash: u64) -> u64 {
    fnv(state ^ OFFSET_BASIS, &record_hash.to_le_bytes())
}

/// The chain of no records.
pub const EMPTY: u64 = 0;

pub fn to_hex(state: u64) -> String {
    format!("{state:016x}")
}

pub fn from_hex(text: &str) -> u64 {
    u64::from_str_radix(text, 16).unwrap_or(EMPTY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_order_matter() {
        let a = record(Some(b"ab"), Some(b"c"), &[]);
        let b = record(Some(b"a"), Some(b"bc"), &[]);
        assert_ne!(a, b);
        assert_ne!(
            record(None, Some(b""), &[]),
            record(Some(b""), Some(b""), &[])
        );
        let h = [("k".to_string(), b"v".to_vec())];
        assert_ne!(record(None, None, &h), record(None, None, &[]));
        let ab = chain(chain(EMPTY, a), b);
        let ba = chain(chain(EMPTY, b), a);
        assert_ne!(ab, ba);
        assert_eq!(from_hex(&to_hex(ab)), ab);
    }

    #[test]
    fn stable_across_versions() {
        // A checkpoint written by one lkm must be understood by the next.
        assert_eq!(
            to_hex(chain(EMPTY, record(Some(b"k"), Some(b"v"), &[]))),
            to_hex(chain(EMPTY, record(Some(b"k"), Some(b"v"), &[])))
        );
        assert_eq!(fnv(OFFSET_BASIS, b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
