//! The ready-made `Check` type each probe module offers for a `Registry`.

/// Declares `$name`, a [`Check`](crate::Check) that holds what the probe needs
/// (`$target`) and its options, and runs `$probe(&target, &options)`.
macro_rules! ready_made_check {
    (
        $(#[$doc:meta])*
        $name:ident($target:ty), $options:ty => $details:ty, $probe:path
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            target: $target,
            options: $options,
        }

        impl $name {
            /// A check with the default options.
            pub fn new(target: impl Into<$target>) -> Self {
                Self { target: target.into(), options: <$options>::default() }
            }

            /// Replaces the options.
            #[must_use]
            pub fn with_options(mut self, options: $options) -> Self {
                self.options = options;
                self
            }

            /// The options the check runs with.
            pub fn options(&self) -> &$options {
                &self.options
            }
        }

        // Kept out of the list of checks that errors about other types suggest.
        #[diagnostic::do_not_recommend]
        impl<S: ?Sized + Sync> $crate::Check<S> for $name {
            type Details = $details;

            fn run(&self, _: &S) -> impl ::std::future::Future<Output = $crate::Outcome<$details>> + Send {
                $probe(&self.target, &self.options)
            }
        }
    };
}

pub(crate) use ready_made_check;
