//! Tremplin: matches French collège pupils with company placements and young
//! people with mentors, favouring priority-education and rural pupils.
//!
//! This crate is the HTTP service and the `tremplin` command line; the
//! matching engine is the `matcher` crate, the schema the `migration` crate.
pub mod account;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod configuration;
pub mod demo;
pub mod domain;
pub mod email;
pub mod error;
pub mod extract;
pub mod http_policy;
pub mod import;
pub mod jobs;
pub mod mentoring_match;
pub mod metrics;
pub mod notify;
pub mod pagination;
pub mod patch;
pub mod reference;
pub mod routes;
pub mod search;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
