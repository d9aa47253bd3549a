use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MentoringRun::Table)
                    .col(pk_uuid(MentoringRun::Id))
                    .col(uuid(MentoringRun::OrganisationId))
                    .col(uuid_null(MentoringRun::ActorId))
                    .col(big_integer(MentoringRun::Seed))
                    .col(double_null(MentoringRun::MaxDistanceKm))
                    .col(date(MentoringRun::AvailableBy))
                    .col(json(MentoringRun::Metrics))
                    // `{mentee_id, priority, reason}` per mentee left out.
                    .col(json(MentoringRun::Unmatched))
                    // The drafts the run wrote: publishing walks this list,
                    // so the pairing table needs no column of its own.
                    .col(json(MentoringRun::PairingIds))
                    .col(timestamp_with_time_zone(MentoringRun::CreatedAt))
                    .col(timestamp_with_time_zone_null(MentoringRun::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mentoring_run_organisation")
                            .from(MentoringRun::Table, MentoringRun::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mentoring_run_organisation")
                    .table(MentoringRun::Table)
                    .col(MentoringRun::OrganisationId)
                    .col(MentoringRun::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MentoringRun::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MentoringRun {
    Table,
    Id,
    OrganisationId,
    ActorId,
    Seed,
    MaxDistanceKm,
    AvailableBy,
    Metrics,
    Unmatched,
    PairingIds,
    CreatedAt,
    PublishedAt,
}
