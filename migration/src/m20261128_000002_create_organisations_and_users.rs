use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisation::Table)
                    .col(pk_uuid(Organisation::Id))
                    .col(string_len(Organisation::Kind, 24))
                    .col(string(Organisation::Name))
                    .col(string_len_null(Organisation::Siret, 14).unique_key())
                    .col(string_len_null(Organisation::Uai, 8).unique_key())
                    .col(timestamp_with_time_zone(Organisation::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(User::Table)
                    .col(pk_uuid(User::Id))
                    .col(uuid_null(User::OrganisationId))
                    .col(string(User::Email).unique_key())
                    .col(string_len(User::Role, 16))
                    .col(string_null(User::PasswordHash))
                    .col(string_len_null(User::InvitationHash, 64).unique_key())
                    .col(timestamp_with_time_zone_null(User::InvitationExpiresAt))
                    .col(timestamp_with_time_zone(User::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_organisation")
                            .from(User::Table, User::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_organisation")
                    .table(User::Table)
                    .col(User::OrganisationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(User::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Organisation::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
    Kind,
    Name,
    Siret,
    Uai,
    CreatedAt,
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
    OrganisationId,
    Email,
    Role,
    PasswordHash,
    InvitationHash,
    InvitationExpiresAt,
    CreatedAt,
}
