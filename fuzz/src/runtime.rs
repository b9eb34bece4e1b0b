//! One current-thread runtime per thread, reused by every input: building
//! one per input would dominate the time of a run.

use std::future::Future;

thread_local! {
    static RUNTIME: tokio::runtime::Runtime =
        tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a Tokio runtime");
}

/// Runs `future` to completion.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    RUNTIME.with(|runtime| runtime.block_on(future))
}
