use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Mentor::Table)
                    .col(pk_uuid(Mentor::Id))
                    .col(uuid(Mentor::OrganisationId))
                    .col(string(Mentor::DisplayName))
                    .col(string(Mentor::Email))
                    .col(json(Mentor::Sectors))
                    .col(string_len(Mentor::CommuneInsee, 5))
                    .col(double(Mentor::Lat))
                    .col(double(Mentor::Lon))
                    .col(integer(Mentor::MaxDistanceKm))
                    .col(boolean(Mentor::RemoteOk))
                    .col(integer(Mentor::Capacity))
                    .col(date_null(Mentor::AvailableFrom))
                    .col(string_len(Mentor::Status, 16))
                    .col(timestamp_with_time_zone(Mentor::CreatedAt))
                    .col(timestamp_with_time_zone(Mentor::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mentor_organisation")
                            .from(Mentor::Table, Mentor::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mentor_organisation")
                    .table(Mentor::Table)
                    .col(Mentor::OrganisationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Mentor::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Mentor {
    Table,
    Id,
    OrganisationId,
    DisplayName,
    Email,
    Sectors,
    CommuneInsee,
    Lat,
    Lon,
    MaxDistanceKm,
    RemoteOk,
    Capacity,
    AvailableFrom,
    Status,
    CreatedAt,
    UpdatedAt,
}
