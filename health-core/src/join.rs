//! Driving several futures to completion on one task, without boxing them.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Polls `future` unless its output is already in `slot`. Returns whether it is
/// still pending.
pub fn poll_pending<F: Future + ?Sized>(
    future: Pin<&mut F>,
    slot: &mut Option<F::Output>,
    cx: &mut Context<'_>,
) -> bool {
    if slot.is_none()
        && let Poll::Ready(output) = future.poll(cx)
    {
        *slot = Some(output);
    }
    slot.is_none()
}

/// The output of a future that `poll_pending` reported complete.
pub fn completed<T>(slot: Option<T>) -> T {
    slot.expect("joined future completed before its output was taken")
}
