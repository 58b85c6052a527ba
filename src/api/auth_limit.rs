//! The limit on failed authentication per client address: a token bucket per address (IPv6
//! per /64, which one host usually holds), spent by each call whose token is missing or
//! wrong. An empty bucket turns 401 into 429 (RESOURCE_EXHAUSTED, with when to retry) until it
//! refills; calls with a valid token are never limited. Memory is bounded: at most
//! `MAX_CLIENTS` buckets, and when they are all taken the addresses beyond share one.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed authentications an address may make at once (a client, or a test suite, trying
/// a few wrong tokens is not stopped).
pub const BURST: f64 = 100.0;
/// Failed authentications an address regains per second.
pub const REFILL_PER_SEC: f64 = 10.0;
/// Addresses with a bucket of their own.
const MAX_CLIENTS: usize = 10_000;
/// How often a full map is swept for buckets that refilled (and so hold nothing).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The network address of the caller of a request, put in its extensions by the server (and
/// carried over by the REST gateway).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Addr(IpAddr),
    /// Every address beyond `MAX_CLIENTS`.
    Overflow,
}

fn key_of(ip: IpAddr) -> Key {
    Key::Addr(match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
        v4 => v4,
    })
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn refilled(&self, now: Instant) -> f64 {
        (self.tokens + now.duration_since(self.at).as_secs_f64() * REFILL_PER_SEC).min(BURST)
    }
}

pub struct FailedAuthLimiter {
    buckets: Mutex<(HashMap<Key, Bucket>, Instant)>,
}

impl Default for FailedAuthLimiter {
    fn default() -> Self {
        FailedAuthLimiter {
            buckets: Mutex::new((HashMap::new(), Instant::now())),
        }
    }
}

impl FailedAuthLimiter {
    /// Records a failed authentication from `ip`: None while the address is within its
    /// limit, else how long until it may fail again.
    pub fn fail(&self, ip: IpAddr) -> Option<Duration> {
        self.fail_at(ip, Instant::now())
    }

    fn fail_at(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let mut guard = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (buckets, swept) = &mut *guard;
        let mut key = key_of(ip);
        if !buckets.contains_key(&key) && buckets.len() >= MAX_CLIENTS {
            if now.duration_since(*swept) >= SWEEP_EVERY {
                buckets.retain(|_, b| b.refilled(now) < BURST);
                *swept = now;
            }
            if buckets.len() >= MAX_CLIENTS {
                key = Key::Overflow;
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: BURST,
            at: now,
        });
        let tokens = bucket.refilled(now);
        bucket.at = now;
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            None
        } else {
            bucket.tokens = tokens;
            Some(Duration::from_secs_f64((1.0 - tokens) / REFILL_PER_SEC))
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.buckets.lock().unwrap().0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn a_burst_then_the_refill_rate() {
        let limiter = FailedAuthLimiter::default();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let t0 = Instant::now();
        for _ in 0..BURST as usize {
            assert_eq!(limiter.fail_at(ip, t0), None);
        }
        let wait = limiter.fail_at(ip, t0).expect("limited after the burst");
        let refill_one = Duration::from_secs_f64(1.0 / REFILL_PER_SEC);
        assert!(wait <= refill_one, "{wait:?}");
        // Another address has its own bucket.
        assert_eq!(
            limiter.fail_at(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), t0),
            None
        );
        // Time refills one failure at a time.
        let t1 = t0 + refill_one;
        assert_eq!(limiter.fail_at(ip, t1), None);
        assert!(limiter.fail_at(ip, t1).is_some());
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_bucket() {
        let a: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8::ffff:2".parse().unwrap();
        let c: Ipv6Addr = "2001:db8:0:1::1".parse().unwrap();
        assert_eq!(key_of(a.into()), key_of(b.into()));
        assert_ne!(key_of(a.into()), key_of(c.into()));
        let mapped: Ipv6Addr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(
            key_of(mapped.into()),
            key_of(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
    }

    #[test]
    fn memory_is_bounded() {
        let limiter = FailedAuthLimiter::default();
        let t0 = Instant::now();
        for i in 0..(MAX_CLIENTS as u32 + 500) {
            limiter.fail_at(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)), t0);
        }
        assert!(limiter.len() <= MAX_CLIENTS + 1, "{}", limiter.len());
        // Addresses beyond the cap share one bucket, which runs dry like any other.
        let beyond = IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1));
        assert!(limiter.fail_at(beyond, t0).is_some());
        // Once buckets have refilled they are swept and addresses get their own again.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(limiter.fail_at(beyond, later), None);
        assert!(limiter.len() <= 2, "{}", limiter.len());
    }
}
