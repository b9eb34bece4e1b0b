//! The ready-made `Check` type each probe module offers for a `Registry`.

/// Declares `$name`, a [`Check`](crate::Check) that holds what the probe needs
/// (`$target`) and its options, and runs `$probe(&target, &options)`.
///
/// A check generic over its client (`$name<C>(C)`) takes the client as it
/// is, with `where` bounds for running it (a client of either supported
/// major of its crate, say), which bind the type itself when its options
/// depend on the client (`QueryOptions<P::Row>`); one that `keeps` some memory
/// between runs (what a probe learned of its server) holds it too, and runs
/// `$probe(&target, &options, &memory)`: the application holds only its client.
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
        }

        $crate::probe::ready_made::ready_made_check!(@options $name, $options);

        // Kept out of the list of checks that errors about other types suggest.
        #[diagnostic::do_not_recommend]
        impl<S: ?Sized + Sync> $crate::Check<S> for $name {
            type Details = $details;

            fn run(&self, _: &S) -> impl ::std::future::Future<Output = $crate::Outcome<$details>> + Send {
                $probe(&self.target, &self.options)
            }
        }
    };
    (
        $(#[$doc:meta])*
        $name:ident<$client:ident>($target:ty) keeps $memory:ty, $options:ty => $details:ty, $probe:path,
        where $($bounds:tt)+
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<$client> {
            target: $target,
            options: $options,
            memory: $memory,
        }

        impl<$client> $name<$client> {
            /// A check with the default options.
            pub fn new(target: $target) -> Self {
                Self { target, options: <$options>::default(), memory: <$memory>::default() }
            }
        }

        $crate::probe::ready_made::ready_made_check!(@options $name<$client>, $options);

        // Kept out of the list of checks that errors about other types suggest.
        #[diagnostic::do_not_recommend]
        impl<$client, S: ?Sized + Sync> $crate::Check<S> for $name<$client>
        where
            $($bounds)+
        {
            type Details = $details;

            fn run(&self, _: &S) -> impl ::std::future::Future<Output = $crate::Outcome<$details>> + Send {
                $probe(&self.target, &self.options, &self.memory)
            }
        }
    };
    (
        $(#[$doc:meta])*
        $name:ident<$client:ident>($target:ty), $options:ty => $details:ty, $probe:path,
        where $($bounds:tt)+
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<$client>
        where
            $($bounds)+
        {
            target: $target,
            options: $options,
        }

        impl<$client> $name<$client>
        where
            $($bounds)+
        {
            /// A check with the default options.
            pub fn new(target: $target) -> Self {
                Self { target, options: <$options>::default() }
            }
        }

        $crate::probe::ready_made::ready_made_check!(@options $name<$client>, $options, where $($bounds)+);

        // Kept out of the list of checks that errors about other types suggest.
        #[diagnostic::do_not_recommend]
        impl<$client, S: ?Sized + Sync> $crate::Check<S> for $name<$client>
        where
            $($bounds)+
        {
            type Details = $details;

            fn run(&self, _: &S) -> impl ::std::future::Future<Output = $crate::Outcome<$details>> + Send {
                $probe(&self.target, &self.options)
            }
        }
    };
    (@options $name:ident $(<$client:ident>)?, $options:ty $(, where $($bounds:tt)+)?) => {
        impl$(<$client>)? $name$(<$client>)?
        $(where $($bounds)+)?
        {
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
    };
}

pub(crate) use ready_made_check;
