//! Authentication: access tokens (JWT), passwords, opaque secrets, and the
//! rate limit on the endpoints that check them.
mod jwt;
mod password;
mod rate_limit;
mod secret;

pub use jwt::{Claims, JwtKeys, SubjectKind};
pub use password::{hash_password, verify_password};
pub use rate_limit::RateLimiter;
pub use secret::{constant_time_eq, hash_secret, new_secret};
