use entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

pub struct NewUser {
    pub organisation_id: Option<Uuid>,
    pub email: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub invitation_hash: Option<String>,
    pub invitation_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewUser) -> Result<user::Model, DbErr> {
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(new.organisation_id),
        email: Set(new.email),
        role: Set(new.role),
        password_hash: Set(new.password_hash),
        invitation_hash: Set(new.invitation_hash),
        invitation_expires_at: Set(new.invitation_expires_at),
        created_at: Set(chrono::Utc::now()),
    };
    user::Entity::insert(model).exec_with_returning(db).await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
}

pub async fn find_by_invitation(
    db: &impl ConnectionTrait,
    invitation_hash: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::InvitationHash.eq(invitation_hash))
        .one(db)
        .await
}

/// Sets the password and consumes the invitation, only while the invitation
/// is still the one that was looked up: of two concurrent acceptances of one
/// token, one writes and the other gets `false`.
pub async fn set_password(
    db: &impl ConnectionTrait,
    user: user::Model,
    password_hash: String,
) -> Result<bool, DbErr> {
    let Some(invitation_hash) = user.invitation_hash else {
        return Ok(false);
    };
    let result = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(Some(password_hash)))
        .col_expr(user::Column::InvitationHash, Expr::value(None::<String>))
        .col_expr(
            user::Column::InvitationExpiresAt,
            Expr::value(None::<chrono::DateTime<chrono::Utc>>),
        )
        .filter(user::Column::Id.eq(user.id))
        .filter(user::Column::InvitationHash.eq(invitation_hash))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
