//! Database queries, one module per resource. Every function that reads or
//! writes an organisation's records takes the organisation id and filters on
//! it, so another organisation's record is simply not found.
pub mod alerts;
pub mod api_clients;
pub mod identities;
pub mod jobs;
pub mod match_requests;
pub mod meetings;
pub mod mentees;
pub mod mentoring;
pub mod mentoring_stats;
pub mod mentors;
pub mod offers;
pub mod organisations;
pub mod pairing_export;
pub mod pairings;
pub mod placement_stats;
pub mod placements;
pub mod pupils;
pub mod reference;
pub mod schools;
pub mod settings;
pub mod tokens;
pub mod users;
