use super::ParseError;
use std::fmt;

const UAI_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// A school identifier (UAI): 7 digits and a check letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uai(String);

impl Uai {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim().to_ascii_uppercase();
        let bytes = raw.as_bytes();
        if bytes.len() != 8 || !bytes[..7].iter().all(u8::is_ascii_digit) {
            return Err(ParseError::new("a UAI is 7 digits followed by a letter"));
        }
        let number: u32 = raw[..7]
            .parse()
            .map_err(|_| ParseError::new("a UAI is 7 digits followed by a letter"))?;
        let expected = UAI_LETTERS[(number % 23) as usize];
        if bytes[7] != expected {
            return Err(ParseError::new(format!(
                "UAI check letter should be {}",
                expected as char
            )));
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A company establishment identifier (SIRET): 14 digits with a Luhn checksum.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Siret(String);

/// La Poste's establishments share one SIREN and do not follow Luhn; INSEE
/// documents their rule as "sum of the digits divisible by 5".
const LA_POSTE_SIREN: &str = "356000000";

impl Siret {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new("a SIRET is 14 digits"));
        }
        let valid = if digits.starts_with(LA_POSTE_SIREN) && digits != "35600000000048" {
            digits
                .bytes()
                .map(|b| u32::from(b - b'0'))
                .sum::<u32>()
                .is_multiple_of(5)
        } else {
            luhn_valid(&digits)
        };
        if !valid {
            return Err(ParseError::new("SIRET checksum (Luhn) is invalid"));
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// An INSEE commune code: 5 characters, digits except Corsica's `2A`/`2B`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InseeCode(String);

impl InseeCode {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim().to_ascii_uppercase();
        let b = raw.as_bytes();
        let ok = b.len() == 5
            && (b[..2].iter().all(u8::is_ascii_digit) || &b[..2] == b"2A" || &b[..2] == b"2B")
            && b[2..].iter().all(u8::is_ascii_digit);
        if !ok {
            return Err(ParseError::new(
                "an INSEE commune code is 5 characters such as 93066 or 2A004",
            ));
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InseeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uai_check_letter_follows_the_modulo_23_rule() {
        assert!(Uai::parse("0010002X").is_ok());
        assert!(Uai::parse("0010005a").is_ok());
        assert!(Uai::parse("0010002Y").is_err());
        assert!(Uai::parse("001002X").is_err());
        assert!(Uai::parse("A010002X").is_err());
    }

    #[test]
    fn siret_uses_luhn_and_la_poste_exception() {
        assert!(Siret::parse("73282932000074").is_ok());
        assert!(Siret::parse("732 829 320 00074").is_ok());
        assert!(Siret::parse("73282932000075").is_err());
        assert!(Siret::parse("7328293200007").is_err());
        assert!(Siret::parse("35600000000048").is_ok());
        assert!(Siret::parse("35600000049837").is_ok());
    }

    #[test]
    fn insee_accepts_corsica() {
        assert!(InseeCode::parse("2A004").is_ok());
        assert!(InseeCode::parse("93066").is_ok());
        assert!(InseeCode::parse("97411").is_ok());
        assert!(InseeCode::parse("2C004").is_err());
        assert!(InseeCode::parse("9306").is_err());
    }
}
