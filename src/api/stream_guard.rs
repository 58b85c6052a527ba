//! Open server streams keep checking their caller: a token revoked or expired, or a grant
//! taken away, ends the stream instead of letting it run on. The auth layer wraps the
//! response body of every server-streaming call (gRPC, gRPC-web, and the REST gateway's
//! Server-Sent Events, which read the same body) in `response`, and the request body of
//! every client-streaming call in `request`; what is checked is the layer's own rule,
//! through `Recheck`.
//!
//! A revocation made through this lkm wakes every open stream at once (and is seen before
//! the next message); anything else (expiry, the registry changed from elsewhere) is seen
//! within `RECHECK`, idle or not.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use http::HeaderMap;
use http_body::Frame;
use http_body_util::BodyExt;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};
use tonic::Status;

/// The longest an open stream goes without re-reading its caller's token and grants.
pub const RECHECK: Duration = Duration::from_secs(1);

/// Whether the caller of an open stream may still receive it.
pub trait Recheck: Send + Sync + 'static {
    /// Ok while it may; the status that ends the stream otherwise.
    fn recheck(&self) -> BoxFuture<'_, Result<(), Status>>;
}

struct Guarded<B, C> {
    /// The body guarded; dropped (ending the stream it carries) once refused.
    body: Option<B>,
    check: C,
    /// Bumped on every revocation of a token or grant.
    revocations: watch::Receiver<u64>,
    revocations_open: bool,
    last_check: Instant,
    idle: tokio::time::Interval,
}

/// A gRPC response body (a server stream), ended with the status `check` refuses with: as
/// trailers, so every transport reports it the way it reports a failed stream.
pub fn response(
    body: tonic::body::Body,
    check: impl Recheck,
    revocations: watch::Receiver<u64>,
) -> tonic::body::Body {
    let frames = guarded(body, check, revocations, |status| {
        Ok::<_, Status>(end_with(&status))
    });
    tonic::body::Body::new(http_body_util::StreamBody::new(frames))
}

/// A request body (a client stream), failing with the status `check` refuses with: the
/// service reads it as the stream's error.
pub fn request(
    body: axum::body::Body,
    check: impl Recheck,
    revocations: watch::Receiver<u64>,
) -> axum::body::Body {
    let frames = guarded(body, check, revocations, |status| {
        Err(axum::Error::new(status))
    });
    axum::body::Body::new(http_body_util::StreamBody::new(frames))
}

type Frames<E> = Pin<Box<dyn futures::Stream<Item = Result<Frame<Bytes>, E>> + Send>>;

/// The frames of `body`, each data frame let through only while the caller may, checked at
/// least every RECHECK and at once on a revocation; `refused` is the last one otherwise.
fn guarded<B, E>(
    body: B,
    check: impl Recheck,
    revocations: watch::Receiver<u64>,
    refused: fn(Status) -> Result<Frame<Bytes>, E>,
) -> Frames<E>
where
    B: http_body::Body<Data = Bytes, Error = E> + Send + Unpin + 'static,
    E: Send + 'static,
{
    let mut idle = tokio::time::interval_at(Instant::now() + RECHECK, RECHECK);
    idle.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let state = Guarded {
        body: Some(body),
        check,
        revocations,
        revocations_open: true,
        last_check: Instant::now(),
        idle,
    };
    Box::pin(futures::stream::unfold(state, move |mut s| async move {
        let mut body = s.body.take()?;
        loop {
            tokio::select! {
                frame = body.frame() => match frame {
                    Some(Ok(frame)) if frame.is_data() => {
                        if s.due() && let Err(status) = s.check_now().await {
                            return Some((refused(status), s));
                        }
                        s.body = Some(body);
                        return Some((Ok(frame), s));
                    }
                    // Trailers, an error or the end: the stream is over either way.
                    Some(other) => return Some((other, s)),
                    None => return None,
                },
                _ = s.idle.tick() => {
                    if s.due() && let Err(status) = s.check_now().await {
                        return Some((refused(status), s));
                    }
                }
                changed = s.revocations.changed(), if s.revocations_open => {
                    s.revocations_open = changed.is_ok();
                    if let Err(status) = s.check_now().await {
                        return Some((refused(status), s));
                    }
                }
            }
        }
    }))
}

impl<B, C: Recheck> Guarded<B, C> {
    /// Whether something was revoked since the last check, or it is RECHECK old.
    fn due(&self) -> bool {
        self.revocations.has_changed().unwrap_or(false) || self.last_check.elapsed() >= RECHECK
    }

    async fn check_now(&mut self) -> Result<(), Status> {
        // Marked seen first: a revocation during the check wakes the stream again. And the
        // verdict is as of the check's start, so the bound counts from there.
        self.revocations.borrow_and_update();
        let started = Instant::now();
        let verdict = self.check.recheck().await;
        self.last_check = started;
        verdict
    }
}

/// The trailers of a stream ended with `status`.
fn end_with(status: &Status) -> Frame<Bytes> {
    let mut trailers = HeaderMap::new();
    if status.add_header(&mut trailers).is_err() {
        // Only a message that cannot be a header value gets here: keep the code.
        let _ = Status::new(status.code(), "").add_header(&mut trailers);
    }
    Frame::trailers(trailers)
}
