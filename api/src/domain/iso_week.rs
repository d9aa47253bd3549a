use super::ParseError;
use chrono::{Datelike, NaiveDate, Weekday};
use std::fmt;

/// An ISO 8601 week that exists in the calendar, written `2027-W03`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    year: i32,
    week: u32,
}

impl IsoWeek {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let err = || ParseError::new(format!("'{raw}' is not an ISO week such as 2027-W03"));
        let (year, week) = raw.trim().split_once("-W").ok_or_else(err)?;
        if year.len() != 4 || week.len() != 2 {
            return Err(err());
        }
        let year: i32 = year.parse().map_err(|_| err())?;
        let week: u32 = week.parse().map_err(|_| err())?;
        if !(2000..=2100).contains(&year) {
            return Err(ParseError::new(format!(
                "'{raw}': the year must be between 2000 and 2100"
            )));
        }
        if NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).is_none() {
            return Err(ParseError::new(format!(
                "week {week} does not exist in {year}"
            )));
        }
        Ok(Self { year, week })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn week(self) -> u32 {
        self.week
    }

    /// The Monday starting this week.
    pub fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or(NaiveDate::MIN)
    }

    /// Weeks since 2000-W01 Monday, so consecutive weeks differ by one even
    /// across a 53-week year.
    pub fn ordinal(self) -> u32 {
        let epoch = NaiveDate::from_isoywd_opt(2000, 1, Weekday::Mon).unwrap_or(NaiveDate::MIN);
        let days = self.monday().signed_duration_since(epoch).num_days();
        u32::try_from(days / 7).unwrap_or(0)
    }

    pub fn of_date(date: NaiveDate) -> Self {
        let iso = date.iso_week();
        Self {
            year: iso.year(),
            week: iso.week(),
        }
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_existing_weeks_only() {
        assert_eq!(IsoWeek::parse("2027-W03").unwrap().to_string(), "2027-W03");
        assert!(IsoWeek::parse("2026-W53").is_ok(), "2026 has 53 ISO weeks");
        assert!(IsoWeek::parse("2027-W53").is_err());
        assert!(IsoWeek::parse("2027-W00").is_err());
        assert!(IsoWeek::parse("2027-W3").is_err());
        assert!(IsoWeek::parse("2027W03").is_err());
        assert!(IsoWeek::parse("1999-W10").is_err());
    }

    #[test]
    fn ordinals_are_consecutive_across_long_years() {
        let a = IsoWeek::parse("2026-W53").unwrap();
        let b = IsoWeek::parse("2027-W01").unwrap();
        assert_eq!(a.ordinal() + 1, b.ordinal());
    }
}
