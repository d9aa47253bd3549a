use crate::domain::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Whether the token was issued to a person or to a machine client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    User,
    Client,
}

/// The claims of a Tremplin access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: String,
    pub org: Option<Uuid>,
    pub kind: SubjectKind,
    pub iat: i64,
    pub exp: i64,
}

/// HS256 keys. The algorithm is pinned on decoding, so `alg: none` or any
/// other algorithm in a token's header is rejected.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl_secs: i64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_secs: i64) -> Result<Self, jsonwebtoken::errors::Error> {
        Ok(Self {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            ttl_secs,
        })
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    pub fn issue(
        &self,
        sub: Uuid,
        role: Role,
        org: Option<Uuid>,
        kind: SubjectKind,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub,
            role: role.as_str().to_owned(),
            org,
            kind,
            iat: now,
            exp: now + self.ttl_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    pub fn decode(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"0123456789abcdef0123456789abcdef", 60).unwrap()
    }

    #[test]
    fn round_trips_claims() {
        let id = Uuid::now_v7();
        let token = keys()
            .issue(id, Role::Company, Some(id), SubjectKind::User)
            .unwrap();
        let claims = keys().decode(&token).unwrap();
        assert_eq!(claims.sub, id);
        assert_eq!(claims.role, "company");
    }

    #[test]
    fn rejects_other_keys_alg_none_and_expired_tokens() {
        let id = Uuid::now_v7();
        let other = JwtKeys::new(b"another-key-another-key-another-key", 60).unwrap();
        let token = other
            .issue(id, Role::Admin, None, SubjectKind::User)
            .unwrap();
        assert!(keys().decode(&token).is_err(), "wrong key");

        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let now = chrono::Utc::now().timestamp();
        let payload = URL_SAFE_NO_PAD.encode(
            format!(
                r#"{{"sub":"{id}","role":"admin","org":null,"kind":"user","iat":{now},"exp":{}}}"#,
                now + 60
            )
            .as_bytes(),
        );
        assert!(
            keys().decode(&format!("{header}.{payload}.")).is_err(),
            "alg none"
        );

        let expired = JwtKeys::new(b"0123456789abcdef0123456789abcdef", -120).unwrap();
        let token = expired
            .issue(id, Role::Admin, None, SubjectKind::User)
            .unwrap();
        assert!(keys().decode(&token).is_err(), "expired");
    }
}
