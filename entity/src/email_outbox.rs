use sea_orm::entity::prelude::*;

/// A notification waiting for, or done with, delivery.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "email_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Template name (`invitation`, `placement_proposed`...).
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub text_body: String,
    #[sea_orm(column_type = "Text")]
    pub html_body: String,
    /// Essential mail ignores unsubscribe preferences.
    pub essential: bool,
    /// `queued`, `sending`, `sent`, `failed` or `suppressed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: ChronoDateTimeUtc,
    /// End of the lease of the sender that claimed it (`sending`).
    pub locked_until: Option<ChronoDateTimeUtc>,
    /// Identifies one claim, so a sender whose lease ran out cannot
    /// overwrite the outcome of the sender that took over.
    pub claim_token: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub sent_at: Option<ChronoDateTimeUtc>,
    /// What a scheduled message is about (`placement:<id>`), to cancel it.
    pub reference: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
