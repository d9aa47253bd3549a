//! The time the service runs at: the system's, or one a test sets and moves,
//! so that date rules (a meeting not in the future, alerts after 30 days)
//! are tested on controlled dates, never by waiting.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::sync::{Arc, RwLock};

#[derive(Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<RwLock<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that stays at `at` until set or advanced; clones share it.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self {
            fixed: Some(Arc::new(RwLock::new(at))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed {
            Some(at) => *at.read().unwrap_or_else(|e| e.into_inner()),
            None => Utc::now(),
        }
    }

    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Moves a fixed clock to `at` (the system clock ignores it).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(fixed) = &self.fixed {
            *fixed.write().unwrap_or_else(|e| e.into_inner()) = at;
        }
    }

    /// Moves a fixed clock forward (the system clock ignores it).
    pub fn advance(&self, by: Duration) {
        self.set(self.now() + by);
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.fixed {
            Some(_) => write!(f, "Clock::fixed({})", self.now()),
            None => f.write_str("Clock::system()"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told_and_clones_follow() {
        let start = DateTime::parse_from_rfc3339("2027-03-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::fixed(start);
        let shared = clock.clone();
        assert_eq!(clock.now(), start);
        shared.advance(Duration::days(31));
        assert_eq!(clock.today().to_string(), "2027-04-01");
        let system = Clock::system();
        system.set(start);
        assert!((system.now() - Utc::now()).num_seconds().abs() < 5);
    }
}
