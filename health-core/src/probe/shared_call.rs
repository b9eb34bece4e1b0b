//! Blocking calls, one per key in flight: a caller that finds the call for
//! its key under way waits for it and shares its answer.
//!
//! Some probes must make a call that can block a thread for good: `statvfs`
//! of a hung network mount, `getaddrinfo` with a resolver that does not
//! answer. Such a call runs on Tokio's blocking pool, and its caller's check
//! timeout cuts the wait, not the call. Were every run to start a call of its
//! own, each run would leave one more thread blocked; were a run to refuse
//! while one is under way, concurrent reads would fail each other. So the
//! calls for one key are shared: at most one runs at a time, whoever asks
//! meanwhile waits for it (as long as their own timeout allows), and the next
//! caller after it returns makes a new one.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

/// The calls under way, by key.
pub(crate) struct SharedCalls<K, T> {
    under_way: Mutex<BTreeMap<K, watch::Receiver<Option<Answer<T>>>>>,
}

/// What a call gave: its value, or why it gave none.
pub(crate) type Answer<T> = Result<T, String>;

impl<K: Ord + Clone + Send + 'static, T: Clone + Send + Sync + 'static> SharedCalls<K, T> {
    pub(crate) const fn new() -> Self {
        SharedCalls { under_way: Mutex::new(BTreeMap::new()) }
    }

    fn under_way(&self) -> MutexGuard<'_, BTreeMap<K, watch::Receiver<Option<Answer<T>>>>> {
        // Nothing that can panic runs while it is held.
        self.under_way.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The answer of `call` for `key`: of the call under way for `key`, or of
    /// a new one, run on the blocking pool. Cancelling the wait leaves the
    /// call running for whoever asks next.
    pub(crate) async fn call(&'static self, key: K, call: impl FnOnce() -> Answer<T> + Send + 'static) -> Answer<T> {
        let mut answer = {
            let mut under_way = self.under_way();
            if let Some(answer) = under_way.get(&key) {
                answer.clone()
            } else {
                let (sender, answer) = watch::channel(None);
                under_way.insert(key.clone(), answer.clone());
                drop(under_way);
                // Forgets the key however the call ends: answered, or dropped
                // unrun (its runtime shut down, or none to spawn it on).
                let forget = Forget { calls: self, key };
                // Not awaited: the call outlives its first caller.
                drop(tokio::task::spawn_blocking(move || {
                    let given = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call))
                        .unwrap_or_else(|_| Err("the call panicked".to_owned()));
                    // Gone from the calls under way before anyone is told:
                    // whoever asks after this makes a new call.
                    drop(forget);
                    sender.send_replace(Some(given));
                }));
                answer
            }
        };
        match answer.wait_for(Option::is_some).await {
            Ok(given) => given.clone().unwrap_or_else(|| Err("no answer".to_owned())),
            Err(_) => Err("the call was dropped before it answered".to_owned()),
        }
    }
}

/// Removes its key from the calls under way when dropped.
struct Forget<K: Ord + 'static, T: 'static> {
    calls: &'static SharedCalls<K, T>,
    key: K,
}

impl<K: Ord + 'static, T: 'static> Drop for Forget<K, T> {
    fn drop(&mut self) {
        self.calls.under_way.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Condvar};
    use std::time::Duration;

    use super::*;

    /// A call that blocks its thread until released, counting the calls made.
    #[derive(Default)]
    struct Hung {
        calls: AtomicUsize,
        released: Mutex<bool>,
        release: Condvar,
    }

    impl Hung {
        fn call(self: &Arc<Self>) -> impl FnOnce() -> Answer<usize> + Send + 'static {
            let hung = Arc::clone(self);
            move || {
                let call = hung.calls.fetch_add(1, Ordering::SeqCst) + 1;
                let mut released = hung.released.lock().unwrap();
                while !*released {
                    released = hung.release.wait(released).unwrap();
                }
                Ok(call)
            }
        }

        fn release(&self) {
            *self.released.lock().unwrap() = true;
            self.release.notify_all();
        }
    }

    static CALLS: SharedCalls<&'static str, usize> = SharedCalls::new();

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_call_and_a_hung_call_takes_no_more_threads() {
        let hung = Arc::new(Hung::default());
        // 64 callers while the call hangs: each gives up at its own timeout,
        // and no second call is made.
        let waits: Vec<_> = (0..64)
            .map(|_| {
                let call = hung.call();
                tokio::spawn(async move {
                    tokio::time::timeout(Duration::from_millis(100), CALLS.call("/mnt/hung", call)).await
                })
            })
            .collect();
        for wait in waits {
            assert!(wait.await.unwrap().is_err(), "timed out while the call hangs");
        }
        assert_eq!(hung.calls.load(Ordering::SeqCst), 1, "one call, one blocked thread");
        // Callers that wait long enough get its answer once it returns:
        // `join!` polls each once, so all wait for it, before the release.
        let release = async {
            tokio::task::yield_now().await;
            hung.release();
        };
        let (first, second, third, ()) = tokio::join!(
            CALLS.call("/mnt/hung", hung.call()),
            CALLS.call("/mnt/hung", hung.call()),
            CALLS.call("/mnt/hung", hung.call()),
            release
        );
        assert_eq!([first, second, third], [Ok(1), Ok(1), Ok(1)]);
        // The next caller makes a new call.
        assert_eq!(CALLS.call("/mnt/hung", hung.call()).await, Ok(2));
        assert!(CALLS.under_way().is_empty(), "nothing kept once answered");
    }

    #[test]
    fn a_call_never_started_is_forgotten() {
        static UNSTARTED: SharedCalls<u8, u8> = SharedCalls::new();
        // Outside a runtime there is no blocking pool to start it on.
        let outside = std::panic::catch_unwind(|| {
            let call = std::pin::pin!(UNSTARTED.call(1, || Ok(1)));
            let _ = std::future::Future::poll(call, &mut std::task::Context::from_waker(std::task::Waker::noop()));
        });
        assert!(outside.is_err(), "no runtime, no call");
        assert!(UNSTARTED.under_way().is_empty(), "the key is not left behind");
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_eq!(runtime.block_on(UNSTARTED.call(1, || Ok(2))), Ok(2), "the next caller makes a new call");
    }

    #[tokio::test]
    async fn a_call_that_panics_is_an_answer_and_the_next_call_is_made() {
        static PANICKY: SharedCalls<u8, u8> = SharedCalls::new();
        assert_eq!(PANICKY.call(1, || panic!("bug")).await, Err("the call panicked".to_owned()));
        assert_eq!(PANICKY.call(1, || Ok(7)).await, Ok(7));
    }
}
