//! `/v1/mentoring`: mentor suggestions per mentee (`suggestions`), and match
//! runs (`runs`) that write draft pairings the coordinator reviews and
//! publishes (`publish`).
use crate::error::ApiError;
use crate::mentoring_match;
use crate::startup::AppState;
use entity::mentee;
use sea_orm::ConnectionTrait;

mod publish;
mod runs;
mod suggestions;

pub use publish::publish_run;
pub use runs::{create_run, get_run, list_runs};
pub use suggestions::suggestions;

/// The mentee as one of the engine's units; `None` without a location.
async fn unit_of(
    state: &AppState,
    db: &impl ConnectionTrait,
    index: u64,
    mentee: &mentee::Model,
    radius: Option<f64>,
) -> Result<Option<matcher::Unit>, ApiError> {
    let commune = match &mentee.commune_insee {
        Some(code) => state.communes.get(db, code).await?,
        None => None,
    };
    Ok(mentoring_match::unit(
        index,
        mentee,
        commune.as_ref(),
        radius,
    ))
}
