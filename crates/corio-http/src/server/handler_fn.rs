//! [`IntoHandler`]: async functions with extractor arguments as [`Router`](super::Router)
//! routes.
//!
//! An async function (or closure) of up to eight arguments (or none) is a route handler when every
//! argument but the last implements [`FromRequestParts`], the last implements
//! [`FromRequest`] (which every `FromRequestParts` type does, and so does [`Request`]), and
//! its output implements [`IntoResponse`]. So `async fn(Request) -> Response`, the plain
//! [`Handler`](super::Handler) shape, is one with a single argument.
//!
//! The extractors run in argument order; the first that fails answers with its rejection.
//! The function is shared by every worker (`Send + Sync`); its future runs on the worker of
//! the connection and need not be `Send`.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use super::extract::{FromRequest, FromRequestParts};
use super::handler::BoxResponseFuture;
use crate::message::{IntoResponse, Request};

/// A route handler: see the module docs. `T` describes the arguments (it only tells the
/// implementations apart), `S` is the router's state.
pub trait IntoHandler<T, S>: Send + Sync + Sized + 'static {
    /// Answers one request, extracting the arguments from it and `state`.
    fn call(self: Arc<Self>, request: Request, state: &S) -> BoxResponseFuture;
}

/// A route handler with its argument types erased, as the router stores it.
pub(crate) trait ErasedHandler<S>: Send + Sync {
    fn call(&self, request: Request, state: &S) -> BoxResponseFuture;
}

/// An [`IntoHandler`] behind an `Arc`, erased.
pub(crate) struct Erased<H, T> {
    handler: Arc<H>,
    _args: PhantomData<fn() -> T>,
}

impl<H, T> Erased<H, T> {
    pub(crate) fn new(handler: H) -> Erased<H, T> {
        Erased {
            handler: Arc::new(handler),
            _args: PhantomData,
        }
    }
}

impl<S, T: 'static, H: IntoHandler<T, S>> ErasedHandler<S> for Erased<H, T> {
    fn call(&self, request: Request, state: &S) -> BoxResponseFuture {
        self.handler.clone().call(request, state)
    }
}

/// A plain [`Handler`](super::Handler) (a struct such as [`StaticFiles`](super::StaticFiles),
/// a nested [`Router`](super::Router), a [`TowerHandler`](super::TowerHandler)), erased.
pub(crate) struct PlainHandler<H>(pub(crate) H);

impl<S, H: super::Handler> ErasedHandler<S> for PlainHandler<H> {
    fn call(&self, request: Request, _state: &S) -> BoxResponseFuture {
        Box::pin(self.0.call(request))
    }
}

macro_rules! impl_into_handler {
    ($($part:ident),*) => {
        impl<F, Fut, R, S, M, $($part,)* Last> IntoHandler<(M, $($part,)* Last), S> for F
        where
            F: Fn($($part,)* Last) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + 'static,
            R: IntoResponse,
            $($part: FromRequestParts<S> + 'static,)*
            Last: FromRequest<S, M> + 'static,
        {
            #[allow(non_snake_case)]
            fn call(self: Arc<Self>, request: Request, state: &S) -> BoxResponseFuture {
                $(
                    let $part = match $part::from_request_parts(&request, state) {
                        Ok(value) => value,
                        Err(rejection) => {
                            return Box::pin(std::future::ready(rejection.into_response()))
                        }
                    };
                )*
                let last = Last::from_request(request, state);
                Box::pin(async move {
                    match last.await {
                        Ok(last) => self($($part,)* last).await.into_response(),
                        Err(rejection) => rejection.into_response(),
                    }
                })
            }
        }
    };
}

/// No arguments at all.
impl<F, Fut, R, S> IntoHandler<(), S> for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + 'static,
    R: IntoResponse,
{
    fn call(self: Arc<Self>, _request: Request, _state: &S) -> BoxResponseFuture {
        let future = self();
        Box::pin(async move { future.await.into_response() })
    }
}

impl_into_handler!();
impl_into_handler!(T1);
impl_into_handler!(T1, T2);
impl_into_handler!(T1, T2, T3);
impl_into_handler!(T1, T2, T3, T4);
impl_into_handler!(T1, T2, T3, T4, T5);
impl_into_handler!(T1, T2, T3, T4, T5, T6);
impl_into_handler!(T1, T2, T3, T4, T5, T6, T7);
