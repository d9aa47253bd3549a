use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per mentoring structure and ISO week whose alerts digest
        // was handled (sent, or found without alerts). Its key is what lets
        // several `tremplin serve` processes agree that a digest goes out at
        // most once a week: the first insert wins, the others insert nothing.
        manager
            .create_table(
                Table::create()
                    .table(AlertsDigest::Table)
                    .col(uuid(AlertsDigest::OrganisationId))
                    .col(string_len(AlertsDigest::IsoWeek, 8))
                    .col(integer(AlertsDigest::Alerts))
                    .col(integer(AlertsDigest::Recipients))
                    .col(timestamp_with_time_zone(AlertsDigest::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(AlertsDigest::OrganisationId)
                            .col(AlertsDigest::IsoWeek),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alerts_digest_organisation")
                            .from(AlertsDigest::Table, AlertsDigest::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AlertsDigest::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AlertsDigest {
    Table,
    OrganisationId,
    IsoWeek,
    Alerts,
    Recipients,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}
