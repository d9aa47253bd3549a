use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Pairing::Table)
                    .col(pk_uuid(Pairing::Id))
                    .col(uuid(Pairing::OrganisationId))
                    .col(uuid(Pairing::MenteeId))
                    .col(uuid_null(Pairing::MentorId))
                    // The mentee's id while the pairing is open (draft to
                    // paused), NULL once declined or ended: its unique index
                    // keeps one open pairing per mentee, even under races.
                    .col(uuid_null(Pairing::OpenMenteeId))
                    .col(string_len(Pairing::Status, 16))
                    .col(string_len(Pairing::Origin, 16))
                    .col(string_len(Pairing::Priority, 16))
                    .col(string_len(Pairing::Departement, 3))
                    .col(double_null(Pairing::DistanceKm))
                    .col(boolean(Pairing::Remote))
                    .col(date_null(Pairing::StartDate))
                    .col(date_null(Pairing::EndDate))
                    .col(string_len_null(Pairing::EndReason, 32))
                    .col(text_null(Pairing::ClosingNote))
                    .col(timestamp_with_time_zone_null(Pairing::ProposedAt))
                    .col(timestamp_with_time_zone(Pairing::CreatedAt))
                    .col(timestamp_with_time_zone(Pairing::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pairing_organisation")
                            .from(Pairing::Table, Pairing::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pairing_mentee")
                            .from(Pairing::Table, Pairing::MenteeId)
                            .to(Mentee::Table, Mentee::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    // A mentor's profile may be deleted; the pairing's
                    // anonymous history stays.
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pairing_mentor")
                            .from(Pairing::Table, Pairing::MentorId)
                            .to(Mentor::Table, Mentor::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_pairing_open_mentee")
                    .table(Pairing::Table)
                    .col(Pairing::OpenMenteeId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pairing_organisation_status")
                    .table(Pairing::Table)
                    .col(Pairing::OrganisationId)
                    .col(Pairing::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pairing_mentor")
                    .table(Pairing::Table)
                    .col(Pairing::MentorId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PairingEvent::Table)
                    .col(pk_uuid(PairingEvent::Id))
                    .col(uuid(PairingEvent::PairingId))
                    .col(uuid_null(PairingEvent::ActorId))
                    .col(string_len_null(PairingEvent::FromStatus, 16))
                    .col(string_len(PairingEvent::ToStatus, 16))
                    .col(string_len_null(PairingEvent::Reason, 32))
                    .col(text_null(PairingEvent::Note))
                    .col(timestamp_with_time_zone(PairingEvent::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pairing_event_pairing")
                            .from(PairingEvent::Table, PairingEvent::PairingId)
                            .to(Pairing::Table, Pairing::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pairing_event_pairing")
                    .table(PairingEvent::Table)
                    .col(PairingEvent::PairingId)
                    .col(PairingEvent::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PairingEvent::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Pairing::Table).to_owned())
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
}

#[derive(DeriveIden)]
enum Mentor {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Pairing {
    Table,
    Id,
    OrganisationId,
    MenteeId,
    MentorId,
    OpenMenteeId,
    Status,
    Origin,
    Priority,
    Departement,
    DistanceKm,
    Remote,
    StartDate,
    EndDate,
    EndReason,
    ClosingNote,
    ProposedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PairingEvent {
    Table,
    Id,
    PairingId,
    ActorId,
    FromStatus,
    ToStatus,
    Reason,
    Note,
    At,
}
