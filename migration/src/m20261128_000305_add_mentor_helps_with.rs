use sea_orm_migration::{prelude::*, schema::*};

/// What a mentor can help with, in the mentees' list of needs
/// (`orientation`, `confiance`...), so suggestions can show shared needs.
/// Nullable: profiles made before this column declared nothing.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Mentor::Table)
                    .add_column(json_null(Mentor::HelpsWith))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Mentor::Table)
                    .drop_column(Mentor::HelpsWith)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Mentor {
    Table,
    HelpsWith,
}
