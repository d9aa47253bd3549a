//! One integration-test binary: every test spawns the real server on port 0
//! against a fresh database (SQLite always, PostgreSQL too when
//! `TEST_DATABASE_URL` is set).
mod helpers;

mod auth;
mod browser;
mod campaign_deadlines;
mod concurrent_patches;
mod demo;
mod email;
mod errors;
mod hostile_input;
mod match_run_commit;
mod match_run_scale;
mod matching;
mod meetings;
mod mentees;
mod mentor_status;
mod mentoring_match;
mod mentoring_stats;
mod mentors;
mod offers;
mod offers_external;
mod openapi;
mod organisations;
mod pairing_alerts;
mod pairing_alerts_paging;
mod pairing_export;
mod pairings;
mod placement_deadlines;
mod placement_stats;
mod proposals;
mod pupils;
mod reference;
mod search;
mod web_pages;
mod web_sessions;
