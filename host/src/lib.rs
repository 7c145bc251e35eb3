//! roleport's native host and CLI.
//!
//! The browser starts this binary over native messaging; it reads the AWS config, obtains
//! temporary credentials from STS and answers with a one-time console sign-in URL. See
//! ARCHITECTURE.md for the map.
#![deny(missing_docs)]

pub mod arn;
pub mod audit;
pub mod backoff;
pub mod cli;
pub mod cognito;
pub mod config;
pub mod credentials;
pub mod error;
pub mod federation;
pub mod http_client;
pub mod install;
pub mod ipc;
pub mod limits;
pub mod native;
pub mod pages;
pub mod record;
pub mod saml;
pub mod sdk_http;
#[cfg(test)]
mod secret_types;
pub mod service;
pub mod services;
pub mod settings;
pub mod sso;
pub mod store;
