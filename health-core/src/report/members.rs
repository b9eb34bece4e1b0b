//! Running the checks of a derived report together.
//!
//! `#[derive(HealthReport)]` hands its fields to [`run_report`] as nested
//! tuples of references to checks. What it would otherwise generate per
//! report (starting each selected check, joining them, aggregating their
//! statuses) is written here once, generic over those tuples: it is type and
//! borrow checked when this crate is built, not in every user's build.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::SystemTime;

use tokio::time::Instant;

use crate::check::flight::Flights;
use crate::check::run::{Plan, Policy, RunIn};
use crate::report::join::MaybeDone;
use crate::{Check, Component, Report, Selection, Status};

/// What every member of one run of a report shares.
#[derive(Debug)]
pub struct Batch<'s, 'f, S: ?Sized> {
    state: &'s S,
    selection: Selection,
    flights: Flights<'f>,
    started: Instant,
    /// Each component's policy, by position.
    policies: &'static [Policy],
}

// Not derived: a derive would ask `S: Copy` of the state behind the reference.
impl<S: ?Sized> Clone for Batch<'_, '_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: ?Sized> Copy for Batch<'_, '_, S> {}

/// The checks of a report, or a part of them: a reference to one check, or a
/// tuple of up to twelve members (nested for more).
pub trait Members<S: ?Sized>: Copy + Send {
    /// How many checks.
    const LEN: usize;

    /// Their results, in the shape of the members.
    type Components: Send;

    /// Starts the members' runs, the first at position `first` of the
    /// report; a member that is not selected is complete already.
    fn start(self, batch: Batch<'_, '_, S>, first: usize) -> MaybeDone<impl Future<Output = Self::Components> + Send>;

    /// `total` combined with the status of every result, by criticality.
    fn aggregate(components: &Self::Components, total: Status) -> Status;
}

impl<S, C> Members<S> for &C
where
    S: ?Sized + Sync,
    C: Check<S> + ?Sized,
{
    const LEN: usize = 1;
    type Components = Component<C::Details>;

    #[inline]
    fn start(self, batch: Batch<'_, '_, S>, first: usize) -> MaybeDone<impl Future<Output = Self::Components> + Send> {
        let policy = &batch.policies[first];
        if batch.selection.contains(first) {
            let plan = Plan::new(batch.started, policy);
            MaybeDone::new(self.__run_for_report(batch.state, plan, RunIn::component(batch.flights, first)))
        } else {
            MaybeDone::done(Component::new(Status::Up).with_critical(policy.critical))
        }
    }

    #[inline]
    fn aggregate(component: &Self::Components, total: Status) -> Status {
        total.combine(component.status, component.critical)
    }
}

impl<S: ?Sized> Members<S> for () {
    const LEN: usize = 0;
    type Components = ();

    fn start(self, _: Batch<'_, '_, S>, _: usize) -> MaybeDone<impl Future<Output = ()> + Send> {
        MaybeDone::<std::future::Ready<()>>::done(())
    }

    fn aggregate((): &(), total: Status) -> Status {
        total
    }
}

/// Members that are a whole report's: a tuple (or none), whose run is its
/// join itself, awaited without a slot to keep its results in.
pub trait Tuple<S: ?Sized>: Members<S> {
    /// Runs the members, the first at position `first` of the report.
    fn join(self, batch: Batch<'_, '_, S>, first: usize) -> impl Future<Output = Self::Components> + Send;
}

impl<S: ?Sized> Tuple<S> for () {
    fn join(self, _: Batch<'_, '_, S>, _: usize) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }
}

/// `Members` for a tuple of members, and its join: their runs polled together
/// on the report's task, each in its own place in the join, none boxed, and
/// no run moved once it began.
macro_rules! tuple {
    ($join:ident: $($member:ident $value:ident),+) => {
        pin_project_lite::pin_project! {
            /// The runs of a tuple's members, polled together until all are done.
            #[must_use = "futures do nothing unless polled"]
            pub(crate) struct $join<$($member: Future),+> {
                $( #[pin] $value: MaybeDone<$member>, )+
            }
        }

        impl<$($member: Future),+> Future for $join<$($member),+> {
            type Output = ($($member::Output,)+);

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                let mut this = self.project();
                let mut pending = false;
                $( pending |= this.$value.as_mut().poll_pending(cx); )+
                if pending {
                    return Poll::Pending;
                }
                Poll::Ready(($( this.$value.as_mut().take_output(), )+))
            }
        }

        impl<S: ?Sized, $($member: Members<S>),+> Members<S> for ($($member,)+) {
            const LEN: usize = 0 $(+ $member::LEN)+;
            type Components = ($($member::Components,)+);

            fn start(self, batch: Batch<'_, '_, S>, first: usize) -> MaybeDone<impl Future<Output = Self::Components> + Send> {
                MaybeDone::new(self.join(batch, first))
            }

            fn aggregate(components: &Self::Components, total: Status) -> Status {
                let ($($value,)+) = components;
                $( let total = $member::aggregate($value, total); )+
                total
            }
        }

        impl<S: ?Sized, $($member: Members<S>),+> Tuple<S> for ($($member,)+) {
            #[allow(unused_assignments)]
            fn join(self, batch: Batch<'_, '_, S>, first: usize) -> impl Future<Output = Self::Components> + Send {
                let ($($value,)+) = self;
                let mut next = first;
                $join {
                    $(
                        $value: {
                            let started = $value.start(batch, next);
                            next += $member::LEN;
                            started
                        },
                    )+
                }
            }
        }
    };
}

tuple!(Join1: A a);
tuple!(Join2: A a, B b);
tuple!(Join3: A a, B b, C c);
tuple!(Join4: A a, B b, C c, D d);
tuple!(Join5: A a, B b, C c, D d, E e);
tuple!(Join6: A a, B b, C c, D d, E e, F f);
tuple!(Join7: A a, B b, C c, D d, E e, F f, G g);
tuple!(Join8: A a, B b, C c, D d, E e, F f, G g, H h);
tuple!(Join9: A a, B b, C c, D d, E e, F f, G g, H h, I i);
tuple!(Join10: A a, B b, C c, D d, E e, F f, G g, H h, I i, J j);
tuple!(Join11: A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k);
tuple!(Join12: A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l);

/// The most members one tuple holds; a report with more nests its tuples
/// (the derive's `TUPLE_MAX`, which must agree).
#[cfg(test)]
const TUPLE_MAX: usize = 12;

/// Runs a report's `members` for `state`: those in `selection`, through
/// `flights`, each under its policy in `policies` (by position). `assemble`
/// names their results.
pub async fn run_report<S, M, C, A>(
    members: M,
    state: &S,
    selection: Selection,
    flights: Flights<'_>,
    policies: &'static [Policy],
    assemble: A,
) -> Report<C>
where
    S: ?Sized + Sync,
    M: Tuple<S>,
    A: FnOnce(M::Components) -> C,
{
    let timestamp = SystemTime::now();
    let started = Instant::now();
    let batch = Batch { state, selection, flights, started, policies };
    let components = members.join(batch, 0).await;
    let status = M::aggregate(&components, Status::Up);
    Report::new(status, timestamp, started.elapsed(), assemble(components))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::Outcome;

    struct Up;

    impl Check for Up {
        type Details = ();

        async fn run(&self, _: &()) -> Outcome<()> {
            Outcome::status_only(Status::Up)
        }
    }

    /// The derive nests its fields in tuples of at most `TUPLE_MAX`: the
    /// largest tuple must be members, and count its checks.
    #[test]
    fn the_largest_tuple_the_derive_makes_is_members() {
        let u = &Up;
        let twelve = (u, u, u, u, u, u, u, u, u, u, u, u);
        fn len<M: Members<()>>(_: M) -> usize {
            M::LEN
        }
        assert_eq!(len(twelve), TUPLE_MAX);
        assert_eq!(len(((u, u), (u,), twelve)), TUPLE_MAX + 3);
        assert_eq!(len(()), 0);
    }

    #[tokio::test]
    async fn a_run_skips_what_is_not_selected_with_its_own_criticality() {
        const POLICIES: &[Policy] =
            &[Policy::new(Duration::from_secs(1), true), Policy::new(Duration::from_secs(1), false)];
        let report =
            run_report::<(), _, _, _>((&Up, &Up), &(), Selection::none().with(1), Flights::NONE, POLICIES, |c| c).await;
        let (first, second) = report.components;
        // Skipped: UP, critical as its policy says, never run.
        assert_eq!((first.status, first.critical, first.duration), (Status::Up, true, Duration::ZERO));
        assert_eq!((second.status, second.critical), (Status::Up, false));
        assert_eq!(report.status, Status::Up);
    }
}
