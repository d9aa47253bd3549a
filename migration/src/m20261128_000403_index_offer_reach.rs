use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A campaign run reads the published offers of one kind inside a box
/// (`kind = ? AND status = ? AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?`,
/// `jobs/match_run/reach.rs`): without an index that is a scan of every
/// offer in France. Equalities first, then the latitude range the scan is
/// bounded by; the longitude rides along so that the index alone drops the
/// offers east or west of the box.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_offer_kind_status_lat_lon")
                    .table(Offer::Table)
                    .col(Offer::Kind)
                    .col(Offer::Status)
                    .col(Offer::Lat)
                    .col(Offer::Lon)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_offer_kind_status_lat_lon")
                    .table(Offer::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Offer {
    Table,
    Kind,
    Status,
    Lat,
    Lon,
}
