use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The offer search of every process reads the offers changed in the last
/// seconds every 2 s: without an index that is a scan of the whole table.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_offer_updated_at")
                    .table(Offer::Table)
                    .col(Offer::UpdatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_offer_updated_at")
                    .table(Offer::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Offer {
    Table,
    UpdatedAt,
}
