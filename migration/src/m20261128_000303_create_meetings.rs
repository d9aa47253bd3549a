use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Meeting::Table)
                    .col(pk_uuid(Meeting::Id))
                    .col(uuid(Meeting::PairingId))
                    .col(date(Meeting::Date))
                    .col(integer(Meeting::DurationMinutes))
                    .col(string_len(Meeting::Mode, 16))
                    .col(text_null(Meeting::Note))
                    .col(uuid_null(Meeting::CreatedBy))
                    .col(timestamp_with_time_zone(Meeting::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_meeting_pairing")
                            .from(Meeting::Table, Meeting::PairingId)
                            .to(Pairing::Table, Pairing::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_meeting_pairing_date")
                    .table(Meeting::Table)
                    .col(Meeting::PairingId)
                    .col(Meeting::Date)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Meeting::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Pairing {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Meeting {
    Table,
    Id,
    PairingId,
    Date,
    DurationMinutes,
    Mode,
    Note,
    CreatedBy,
    CreatedAt,
}
