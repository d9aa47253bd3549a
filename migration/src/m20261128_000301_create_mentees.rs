use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Personal fields are nullable: erasure empties them and keeps the
        // row (situation, tier, département) for the State's statistics.
        manager
            .create_table(
                Table::create()
                    .table(Mentee::Table)
                    .col(pk_uuid(Mentee::Id))
                    .col(uuid(Mentee::OrganisationId))
                    .col(string_len_null(Mentee::IdentityHash, 64))
                    .col(string_null(Mentee::FirstName))
                    .col(string_null(Mentee::LastName))
                    .col(string_null(Mentee::Email))
                    .col(integer_null(Mentee::BirthYear))
                    .col(string_len(Mentee::Situation, 16))
                    .col(string_len_null(Mentee::SchoolUai, 8))
                    .col(string_len_null(Mentee::CommuneInsee, 5))
                    .col(string_len(Mentee::Departement, 3))
                    .col(boolean(Mentee::Qpv))
                    .col(json(Mentee::Needs))
                    .col(json(Mentee::Interests))
                    .col(boolean(Mentee::RemoteOk))
                    .col(date_null(Mentee::AvailableFrom))
                    .col(string_len(Mentee::Priority, 16))
                    .col(timestamp_with_time_zone_null(Mentee::ErasedAt))
                    .col(timestamp_with_time_zone(Mentee::CreatedAt))
                    .col(timestamp_with_time_zone(Mentee::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mentee_organisation")
                            .from(Mentee::Table, Mentee::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The same young person sent twice (names and birth year) is one
        // record of the structure.
        manager
            .create_index(
                Index::create()
                    .name("uq_mentee_identity")
                    .table(Mentee::Table)
                    .col(Mentee::OrganisationId)
                    .col(Mentee::IdentityHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Mentee::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Mentee {
    Table,
    Id,
    OrganisationId,
    IdentityHash,
    FirstName,
    LastName,
    Email,
    BirthYear,
    Situation,
    SchoolUai,
    CommuneInsee,
    Departement,
    Qpv,
    Needs,
    Interests,
    RemoteOk,
    AvailableFrom,
    Priority,
    ErasedAt,
    CreatedAt,
    UpdatedAt,
}
