//! # corio-macros: `#[corio::main]` and `#[corio::test]`
//!
//! Both attributes turn an `async fn` into a plain one that runs its body on corio. Use them
//! through `corio` (`#[corio::main]`, `#[corio::test]`), which re-exports them; the expansion
//! names `::corio`.
//!
//! - With no arguments the body runs on one event loop on the calling thread, exactly as
//!   `corio::block_on(async { ... })` would, and the function keeps its return type.
//! - With `workers = N` a [`corio::Runtime`] of `N` workers is started and the body runs as a
//!   task on worker 0, where it can reach every worker through `corio::Spawner::current()`.
//!   Its output is reported there (`std::process::Termination`), so the body need not be
//!   `Send` and neither need its output be: a function that returns something other than `()`
//!   returns `std::process::ExitCode` instead, and an `Err` prints as `main` would print it.
//!   A panic in the body is re-raised on the calling thread. The runtime shuts down when the
//!   body returns.
//!
//! The expansion is the whole design: a function with the same name, visibility and
//! attributes whose body calls `corio::block_on` or `corio::__private::run_on_runtime`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use proc_macro::TokenStream;
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Error, ItemFn, LitInt, MetaNameValue, ReturnType, Token};

/// Runs an `async fn main` on corio. `#[corio::main]`: one loop on the main thread;
/// `#[corio::main(workers = 4)]`: a four-worker runtime. See the crate docs.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, Kind::Main).unwrap_or_else(|e| e.to_compile_error().into())
}

/// Runs an `async fn` test on corio: `#[corio::test]` or `#[corio::test(workers = 2)]`.
/// See the crate docs.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, Kind::Test).unwrap_or_else(|e| e.to_compile_error().into())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Main,
    Test,
}

/// Parses `workers = N` (the only argument); `None` when absent.
fn parse_workers(args: TokenStream) -> syn::Result<Option<usize>> {
    let args = Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse(args)?;
    let mut workers = None;
    for arg in args {
        if !arg.path.is_ident("workers") {
            return Err(Error::new_spanned(
                &arg.path,
                "unknown argument: the only one is `workers = N`",
            ));
        }
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(n),
            ..
        }) = &arg.value
        else {
            return Err(Error::new_spanned(&arg.value, "`workers` takes an integer"));
        };
        let n: usize = LitInt::base10_parse(n)?;
        if n == 0 {
            return Err(Error::new_spanned(
                &arg.value,
                "`workers` must be at least 1",
            ));
        }
        workers = Some(n);
    }
    Ok(workers)
}

fn expand(args: TokenStream, item: TokenStream, kind: Kind) -> syn::Result<TokenStream> {
    let workers = parse_workers(args)?;
    let mut function: ItemFn = syn::parse(item)?;
    let name = if kind == Kind::Main { "main" } else { "test" };
    if function.sig.asyncness.take().is_none() {
        return Err(Error::new_spanned(
            function.sig.fn_token,
            format!("#[corio::{name}] needs an `async fn`"),
        ));
    }
    if !function.sig.inputs.is_empty() {
        return Err(Error::new_spanned(
            &function.sig.inputs,
            format!("#[corio::{name}] functions take no arguments"),
        ));
    }
    if kind == Kind::Main && function.sig.ident != "main" {
        return Err(Error::new_spanned(
            &function.sig.ident,
            "#[corio::main] goes on `async fn main`",
        ));
    }
    let body = &function.block;
    let output = match &function.sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => quote!(#ty),
    };
    // The body as a boxed future of the declared output type, so that `?` and `return`
    // infer against it and a diverging body draws no "unreachable" warning.
    let future = quote! {
        ::std::boxed::Box::pin(async move #body)
            as ::core::pin::Pin<::std::boxed::Box<dyn ::core::future::Future<Output = #output>>>
    };
    let new_body = match workers {
        None => quote! {{
            ::corio::block_on(#future)
        }},
        Some(n) => {
            let run = quote!(::corio::__private::run_on_runtime(#n, move || #future));
            if matches!(function.sig.output, ReturnType::Default) {
                // `()` reports success whatever happens short of a panic, which re-raises.
                quote! {{ let _ = #run; }}
            } else {
                function.sig.output = syn::parse_quote!(-> ::std::process::ExitCode);
                quote! {{ #run }}
            }
        }
    };
    function.block = syn::parse2(new_body)?;
    let test_attr = if kind == Kind::Test {
        quote!(#[::core::prelude::v1::test])
    } else {
        quote!()
    };
    Ok(quote!(#test_attr #function).into())
}
