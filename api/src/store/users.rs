use entity::user;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter,
};
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

/// Sets the password and consumes the invitation.
pub async fn set_password(
    db: &impl ConnectionTrait,
    user: user::Model,
    password_hash: String,
) -> Result<user::Model, DbErr> {
    let mut active = user.into_active_model();
    active.password_hash = Set(Some(password_hash));
    active.invitation_hash = Set(None);
    active.invitation_expires_at = Set(None);
    active.update(db).await
}
