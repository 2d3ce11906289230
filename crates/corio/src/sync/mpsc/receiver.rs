//! The receiving half's API, once for both kinds of channel.
//!
//! [`Receiver`](super::Receiver) and [`UnboundedReceiver`](super::UnboundedReceiver) are the
//! same thing over the shared [`Chan`](super::chan::Chan): a handle whose every method
//! forwards to it. They are distinct types only so that a bounded channel's ends pair with
//! each other (as tokio's do). `receiver_impls!` writes their methods, their `Stream` and
//! `Debug` impls and their `Drop` (which closes the channel for the senders) from one source.

/// Implements the receiver API for `$receiver`, a struct with a `chan: Arc<Chan<T>>` field.
macro_rules! receiver_impls {
    ($receiver:ident) => {
        impl<T> $receiver<T> {
            /// Waits for the next value; `None` once every sender is dropped (or the channel
            /// was closed) and the queue is empty.
            ///
            /// # Cancel safety
            ///
            /// Cancel safe: if the future is dropped, no value was taken from the channel.
            pub fn recv(&mut self) -> $crate::sync::mpsc::Recv<'_, T> {
                $crate::sync::mpsc::Recv::new(&self.chan)
            }

            /// Takes the next value without waiting.
            pub fn try_recv(&mut self) -> Result<T, $crate::sync::mpsc::error::TryRecvError> {
                self.chan.try_recv()
            }

            /// Receives on a plain thread, blocking it until a value comes or the channel
            /// ends.
            ///
            /// # Panics
            ///
            /// If called on a corio event loop thread (it would block the loop).
            pub fn blocking_recv(&mut self) -> Option<T> {
                $crate::sync::park::wait(
                    concat!("mpsc::", stringify!($receiver), "::blocking_recv"),
                    self.recv(),
                )
            }

            /// The poll behind `recv`, for hand-written futures.
            pub fn poll_recv(
                &mut self,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<T>> {
                self.chan.poll_recv(cx)
            }

            /// Closes the channel: sends fail from now on (a bounded channel's waiting senders
            /// at once); values already queued, and those sent through permits reserved
            /// before, can still be received.
            pub fn close(&mut self) {
                self.chan.close();
            }

            /// Whether the channel was closed, by `close`.
            pub fn is_closed(&self) -> bool {
                self.chan.is_closed()
            }

            /// The number of values queued.
            pub fn len(&self) -> usize {
                self.chan.len()
            }

            /// Whether no value is queued.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }

        impl<T> futures_core::Stream for $receiver<T> {
            type Item = T;

            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<T>> {
                self.chan.poll_recv(cx)
            }
        }

        impl<T> Drop for $receiver<T> {
            fn drop(&mut self) {
                self.chan.drop_receiver();
            }
        }

        impl<T> std::fmt::Debug for $receiver<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($receiver))
                    .field("chan", &self.chan)
                    .finish()
            }
        }
    };
}

pub(super) use receiver_impls;
