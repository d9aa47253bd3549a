use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaign::Table)
                    .col(pk_uuid(Campaign::Id))
                    .col(string_len(Campaign::Departement, 3))
                    .col(string_len(Campaign::Kind, 24))
                    .col(string_len(Campaign::Week, 8))
                    .col(timestamp_with_time_zone(Campaign::Deadline))
                    .col(string_len(Campaign::Status, 16))
                    .col(json_null(Campaign::Metrics))
                    .col(timestamp_with_time_zone(Campaign::CreatedAt))
                    .col(timestamp_with_time_zone(Campaign::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MatchRequest::Table)
                    .col(pk_uuid(MatchRequest::Id))
                    .col(uuid(MatchRequest::OrganisationId))
                    .col(uuid_null(MatchRequest::CampaignId))
                    .col(string_len(MatchRequest::Kind, 24))
                    .col(string_len(MatchRequest::WeekStart, 8))
                    .col(string_len(MatchRequest::WeekEnd, 8))
                    .col(double_null(MatchRequest::RadiusKm))
                    .col(big_integer(MatchRequest::Seed))
                    .col(string_len_null(MatchRequest::ClassName, 32))
                    .col(json(MatchRequest::PupilIds))
                    .col(string_len(MatchRequest::Status, 16))
                    .col(json_null(MatchRequest::Metrics))
                    .col(json_null(MatchRequest::Unmatched))
                    .col(text_null(MatchRequest::Error))
                    .col(timestamp_with_time_zone(MatchRequest::CreatedAt))
                    .col(timestamp_with_time_zone(MatchRequest::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_match_request_organisation")
                            .from(MatchRequest::Table, MatchRequest::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_match_request_campaign")
                            .from(MatchRequest::Table, MatchRequest::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Work claimed by any `tremplin serve` process: a lease (locked_until)
        // makes a job abandoned by a crashed worker claimable again.
        manager
            .create_table(
                Table::create()
                    .table(Job::Table)
                    .col(pk_uuid(Job::Id))
                    .col(string_len(Job::Kind, 24))
                    .col(uuid(Job::TargetId))
                    .col(string_len(Job::Status, 16))
                    .col(integer(Job::Attempts))
                    .col(timestamp_with_time_zone(Job::RunAfter))
                    .col(timestamp_with_time_zone_null(Job::LockedUntil))
                    .col(string_null(Job::LockedBy))
                    .col(text_null(Job::LastError))
                    .col(timestamp_with_time_zone(Job::CreatedAt))
                    .col(timestamp_with_time_zone(Job::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_job_status_run_after")
                    .table(Job::Table)
                    .col(Job::Status)
                    .col(Job::RunAfter)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Placement::Table)
                    .col(pk_uuid(Placement::Id))
                    .col(uuid(Placement::MatchRequestId))
                    .col(uuid(Placement::SchoolId))
                    .col(uuid(Placement::CompanyId))
                    .col(uuid(Placement::OfferId))
                    .col(uuid_null(Placement::PupilId))
                    .col(string_len_null(Placement::ClassName, 32))
                    .col(integer(Placement::GroupSize))
                    .col(string_len(Placement::Kind, 24))
                    .col(string_len(Placement::WeekStart, 8))
                    .col(string_len(Placement::WeekEnd, 8))
                    .col(string_len(Placement::Priority, 16))
                    .col(double(Placement::DistanceKm))
                    .col(boolean(Placement::InterestMatch))
                    .col(string_len(Placement::Status, 16))
                    .col(timestamp_with_time_zone(Placement::ExpiresAt))
                    .col(timestamp_with_time_zone(Placement::CreatedAt))
                    .col(timestamp_with_time_zone(Placement::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_placement_offer")
                            .from(Placement::Table, Placement::OfferId)
                            .to(Offer::Table, Offer::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_placement_match_request")
                            .from(Placement::Table, Placement::MatchRequestId)
                            .to(MatchRequest::Table, MatchRequest::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_placement_offer",
                vec![Placement::OfferId, Placement::Status],
            ),
            ("idx_placement_school", vec![Placement::SchoolId]),
            ("idx_placement_company", vec![Placement::CompanyId]),
            ("idx_placement_pupil", vec![Placement::PupilId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Placement::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Placement::Table.into_iden(),
            Job::Table.into_iden(),
            MatchRequest::Table.into_iden(),
            Campaign::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Offer {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
    Departement,
    Kind,
    Week,
    Deadline,
    Status,
    Metrics,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MatchRequest {
    Table,
    Id,
    OrganisationId,
    CampaignId,
    Kind,
    WeekStart,
    WeekEnd,
    RadiusKm,
    Seed,
    ClassName,
    PupilIds,
    Status,
    Metrics,
    Unmatched,
    Error,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Job {
    Table,
    Id,
    Kind,
    TargetId,
    Status,
    Attempts,
    RunAfter,
    LockedUntil,
    LockedBy,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Placement {
    Table,
    Id,
    MatchRequestId,
    SchoolId,
    CompanyId,
    OfferId,
    PupilId,
    ClassName,
    GroupSize,
    Kind,
    WeekStart,
    WeekEnd,
    Priority,
    DistanceKm,
    InterestMatch,
    Status,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}
