//! Multi-producer, single-consumer channels, as tokio's `mpsc`: bounded ([`channel`]) and
//! unbounded ([`unbounded_channel`]).
//!
//! Both are FIFO. A bounded channel's senders wait for a free slot in the order they asked
//! (the slots are a [`Semaphore`](crate::sync::Semaphore)). The channel ends for the receiver
//! (`recv` gives `None`) once every sender is dropped and the queue is empty; it ends for the
//! senders (`send` fails and gives the value back) once the receiver is closed or dropped.
//! Senders work from any thread; `blocking_send`/`blocking_recv` serve plain threads.

mod bounded;
mod chan;
pub mod error;
mod receiver;
mod unbounded;

pub use bounded::{channel, Permit, Receiver, Sender};
pub use chan::Recv;
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender};
