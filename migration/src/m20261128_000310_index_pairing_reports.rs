use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The mentoring reports' reads: the alerts look up each waiting mentee's
/// pairings by status (a scan of all pairings per mentee without an index),
/// and the State export pages a structure's pairings in id order.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_pairing_mentee_status")
                    .table(Pairing::Table)
                    .col(Pairing::MenteeId)
                    .col(Pairing::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pairing_organisation_id")
                    .table(Pairing::Table)
                    .col(Pairing::OrganisationId)
                    .col(Pairing::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_pairing_organisation_id", "idx_pairing_mentee_status"] {
            manager
                .drop_index(Index::drop().name(name).table(Pairing::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Pairing {
    Table,
    Id,
    OrganisationId,
    MenteeId,
    Status,
}
