use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Personal fields are nullable: erasure empties them and keeps the
        // row (tier, track, school) for anonymous statistics.
        manager
            .create_table(
                Table::create()
                    .table(Pupil::Table)
                    .col(pk_uuid(Pupil::Id))
                    .col(uuid(Pupil::OrganisationId))
                    .col(string_null(Pupil::ExternalId))
                    .col(string_len_null(Pupil::IdentityHash, 64))
                    .col(string_null(Pupil::FirstName))
                    .col(string_null(Pupil::LastName))
                    .col(date_null(Pupil::BirthDate))
                    .col(string_len(Pupil::ClassName, 32))
                    .col(string_len(Pupil::Track, 16))
                    .col(string_len_null(Pupil::HomeCommuneInsee, 5))
                    .col(json(Pupil::Interests))
                    .col(boolean(Pupil::NeedsAccessibility))
                    .col(boolean(Pupil::Qpv))
                    .col(string_len(Pupil::Priority, 16))
                    .col(string_len(Pupil::Status, 16))
                    .col(timestamp_with_time_zone_null(Pupil::ErasedAt))
                    .col(timestamp_with_time_zone(Pupil::CreatedAt))
                    .col(timestamp_with_time_zone(Pupil::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pupil_organisation")
                            .from(Pupil::Table, Pupil::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A pupil is the same person when the school sends the same
        // identity again (class + names + birth date, or its own id).
        manager
            .create_index(
                Index::create()
                    .name("uq_pupil_identity")
                    .table(Pupil::Table)
                    .col(Pupil::OrganisationId)
                    .col(Pupil::IdentityHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_pupil_external_id")
                    .table(Pupil::Table)
                    .col(Pupil::OrganisationId)
                    .col(Pupil::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pupil_class")
                    .table(Pupil::Table)
                    .col(Pupil::OrganisationId)
                    .col(Pupil::ClassName)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Pupil::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Pupil {
    Table,
    Id,
    OrganisationId,
    ExternalId,
    IdentityHash,
    FirstName,
    LastName,
    BirthDate,
    ClassName,
    Track,
    HomeCommuneInsee,
    Interests,
    NeedsAccessibility,
    Qpv,
    Priority,
    Status,
    ErasedAt,
    CreatedAt,
    UpdatedAt,
}
