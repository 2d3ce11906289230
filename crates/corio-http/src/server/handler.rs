//! [`Handler`]: `async fn(Request) -> Response`, shared by every worker.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::message::{Request, Response};

/// Something that answers requests. Implemented by every
/// `Fn(Request) -> impl Future<Output = Response>`.
///
/// The handler itself is shared by all workers (`Send + Sync`); the futures it returns run on
/// the worker that accepted the connection and need not be `Send`. A future that panics
/// makes the server answer `500` and close that connection; other connections go on.
///
/// ```
/// use corio_http::{Request, Response};
/// async fn hello(_req: Request) -> Response {
///     Response::text("Hello, World!")
/// }
/// fn assert_handler<H: corio_http::server::Handler>(_: H) {}
/// assert_handler(hello);
/// ```
pub trait Handler: Send + Sync + 'static {
    /// The future of one response.
    type Future: Future<Output = Response> + 'static;
    /// Starts answering `request`.
    fn call(&self, request: Request) -> Self::Future;
}

impl<F, Fut> Handler for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + 'static,
{
    type Future = Fut;

    fn call(&self, request: Request) -> Fut {
        self(request)
    }
}

impl<H: Handler> Handler for Arc<H> {
    type Future = H::Future;

    fn call(&self, request: Request) -> H::Future {
        (**self).call(request)
    }
}

/// A boxed, type-erased handler future (what the router stores).
pub type BoxResponseFuture = Pin<Box<dyn Future<Output = Response>>>;

pin_project_lite::pin_project! {
    /// Runs a future, turning a panic into `Err(())`.
    pub(crate) struct CatchUnwind<F> {
        #[pin]
        future: F,
    }
}

impl<F> CatchUnwind<F> {
    pub(crate) fn new(future: F) -> CatchUnwind<F> {
        CatchUnwind { future }
    }
}

impl<F: Future> CatchUnwind<F> {
    /// Polls the future, which leaves its poll in `output`; `Err(())` if it panicked (then
    /// `output` is left as it was).
    ///
    /// The HTTP/1.1 driver's poll: the output is written where the caller reads it, not
    /// returned through `catch_unwind` (which moves it twice more).
    #[inline(always)]
    pub(crate) fn poll_into(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        output: &mut Poll<F::Output>,
    ) -> Result<(), ()> {
        let future = self.project().future;
        catch_unwind(AssertUnwindSafe(|| *output = future.poll(cx))).map_err(drop)
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;

    /// Inlined into the driver: the output is then read where the handler's future left it
    /// rather than moved out of a call.
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.project().future;
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}
