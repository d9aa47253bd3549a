//! Database schema of Tremplin, as an ordered list of sea-orm migrations.
//!
//! Each migration names its tables and columns with identifiers of its own, so
//! an old migration never changes when an entity does.
pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_reference_tables;
mod m20261128_000002_create_organisations_and_users;
mod m20261128_000003_create_auth_tables;
mod m20261128_000004_create_offers;
mod m20261128_000005_create_mentors;
mod m20261128_000101_create_pupils;
mod m20261128_000102_create_matching;
mod m20261128_000201_create_email_outbox;
mod m20261128_000202_create_email_preferences;
mod m20261128_000203_add_email_outbox_reference;
mod m20261128_000204_create_alerts_digests;
mod m20261128_000301_create_mentees;
mod m20261128_000302_create_pairings;
mod m20261128_000303_create_meetings;
mod m20261128_000304_create_mentoring_runs;
mod m20261128_000305_add_mentor_helps_with;
mod m20261128_000310_index_pairing_reports;
mod m20261128_000401_index_offer_updated_at;
mod m20261128_000402_index_match_request_organisation;
mod m20261128_000403_index_offer_reach;
mod m20261207_000501_create_web_sessions;

/// All migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_reference_tables::Migration),
            Box::new(m20261128_000002_create_organisations_and_users::Migration),
            Box::new(m20261128_000003_create_auth_tables::Migration),
            Box::new(m20261128_000004_create_offers::Migration),
            Box::new(m20261128_000005_create_mentors::Migration),
            Box::new(m20261128_000101_create_pupils::Migration),
            Box::new(m20261128_000102_create_matching::Migration),
            Box::new(m20261128_000201_create_email_outbox::Migration),
            Box::new(m20261128_000202_create_email_preferences::Migration),
            Box::new(m20261128_000203_add_email_outbox_reference::Migration),
            Box::new(m20261128_000204_create_alerts_digests::Migration),
            Box::new(m20261128_000301_create_mentees::Migration),
            Box::new(m20261128_000302_create_pairings::Migration),
            Box::new(m20261128_000303_create_meetings::Migration),
            Box::new(m20261128_000304_create_mentoring_runs::Migration),
            Box::new(m20261128_000305_add_mentor_helps_with::Migration),
            Box::new(m20261128_000310_index_pairing_reports::Migration),
            Box::new(m20261128_000401_index_offer_updated_at::Migration),
            Box::new(m20261128_000402_index_match_request_organisation::Migration),
            Box::new(m20261128_000403_index_offer_reach::Migration),
            Box::new(m20261207_000501_create_web_sessions::Migration),
        ]
    }
}
