use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Sessions of people signed in to the web pages (the bearer API keeps
        // its own tokens). The cookie's id is stored only as a digest, so a
        // copy of this table opens no session; deleting a user ends his.
        manager
            .create_table(
                Table::create()
                    .table(WebSession::Table)
                    .col(pk_uuid(WebSession::Id))
                    .col(string_len(WebSession::TokenHash, 64).unique_key())
                    .col(uuid(WebSession::UserId))
                    .col(string_len(WebSession::CsrfSecret, 64))
                    .col(timestamp_with_time_zone(WebSession::CreatedAt))
                    .col(timestamp_with_time_zone(WebSession::LastSeenAt))
                    .col(timestamp_with_time_zone(WebSession::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_web_session_user")
                            .from(WebSession::Table, WebSession::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_web_session_user")
                    .table(WebSession::Table)
                    .col(WebSession::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_web_session_expires_at")
                    .table(WebSession::Table)
                    .col(WebSession::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebSession::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WebSession {
    Table,
    Id,
    TokenHash,
    UserId,
    CsrfSecret,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}
