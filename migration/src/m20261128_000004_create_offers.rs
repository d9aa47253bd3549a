use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Offer::Table)
                    .col(pk_uuid(Offer::Id))
                    .col(uuid(Offer::OrganisationId))
                    .col(string_null(Offer::RemoteId))
                    .col(string_len(Offer::Kind, 24))
                    .col(string(Offer::Title))
                    .col(text(Offer::Description))
                    .col(string_len(Offer::Sector, 1))
                    .col(string(Offer::Address))
                    .col(string_len(Offer::CommuneInsee, 5))
                    .col(double(Offer::Lat))
                    .col(double(Offer::Lon))
                    .col(json(Offer::Tracks))
                    .col(boolean(Offer::ReservedForPriority))
                    .col(integer_null(Offer::GroupMin))
                    .col(integer_null(Offer::GroupMax))
                    .col(boolean(Offer::Accessible))
                    .col(string(Offer::TutorName))
                    .col(string(Offer::TutorEmail))
                    .col(string_len(Offer::Status, 16))
                    .col(timestamp_with_time_zone(Offer::CreatedAt))
                    .col(timestamp_with_time_zone(Offer::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_offer_organisation")
                            .from(Offer::Table, Offer::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // NULL remote ids never collide, so manual offers are unconstrained
        // while an operator's remote id is unique within its organisation.
        manager
            .create_index(
                Index::create()
                    .name("uq_offer_organisation_remote_id")
                    .table(Offer::Table)
                    .col(Offer::OrganisationId)
                    .col(Offer::RemoteId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OfferWeek::Table)
                    .col(uuid(OfferWeek::OfferId))
                    .col(string_len(OfferWeek::Week, 8))
                    .col(integer(OfferWeek::Seats))
                    .primary_key(Index::create().col(OfferWeek::OfferId).col(OfferWeek::Week))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_offer_week_offer")
                            .from(OfferWeek::Table, OfferWeek::OfferId)
                            .to(Offer::Table, Offer::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_offer_week_week")
                    .table(OfferWeek::Table)
                    .col(OfferWeek::Week)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OfferWeek::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Offer::Table).to_owned())
            .await
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
    OrganisationId,
    RemoteId,
    Kind,
    Title,
    Description,
    Sector,
    Address,
    CommuneInsee,
    Lat,
    Lon,
    Tracks,
    ReservedForPriority,
    GroupMin,
    GroupMax,
    Accessible,
    TutorName,
    TutorEmail,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OfferWeek {
    Table,
    OfferId,
    Week,
    Seats,
}
