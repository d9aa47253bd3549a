//! sea-orm entities of Tremplin, one module per table.
//!
//! They mirror the schema built by the `migration` crate and carry no logic:
//! the `api` crate converts them into its own DTOs before they reach the wire.
pub mod alerts_digest;
pub mod api_client;
pub mod campaign;
pub mod college;
pub mod commune;
pub mod email_outbox;
pub mod email_preference;
pub mod job;
pub mod match_request;
pub mod meeting;
pub mod mentee;
pub mod mentor;
pub mod mentoring_run;
pub mod offer;
pub mod offer_week;
pub mod organisation;
pub mod pairing;
pub mod pairing_event;
pub mod placement;
pub mod pupil;
pub mod refresh_token;
pub mod setting;
pub mod user;
pub mod web_session;
