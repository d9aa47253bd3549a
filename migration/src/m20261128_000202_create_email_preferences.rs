use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per address that received non-essential mail (reminders,
        // digests): the random token of its unsubscribe link, and whether it
        // used it. Keyed by address, not user: tutors and mentees have none.
        manager
            .create_table(
                Table::create()
                    .table(EmailPreference::Table)
                    .col(string_len(EmailPreference::Email, 254).primary_key())
                    .col(string_len(EmailPreference::Token, 64).unique_key())
                    .col(timestamp_with_time_zone_null(
                        EmailPreference::UnsubscribedAt,
                    ))
                    .col(timestamp_with_time_zone(EmailPreference::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EmailPreference::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum EmailPreference {
    Table,
    Email,
    Token,
    UnsubscribedAt,
    CreatedAt,
}
