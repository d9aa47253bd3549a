//! Département codes. The reference data writes them two ways: collèges
//! (Éducation nationale) on three characters, `093`, `02A`, `974`; communes
//! (INSEE) as the official code, `93`, `2A`, `974`. Anything grouped or
//! compared by département uses the INSEE form, which is also what mentees
//! and pairings store (taken from their commune).

/// The INSEE form of a département code written either way: a leading `0`
/// of a three-character code is dropped (`093` → `93`, `02A` → `2A`);
/// overseas codes (`971`–`976`, `975`, `98x`) and INSEE codes are kept as
/// they are. Surrounding spaces are trimmed.
pub fn departement_code(raw: &str) -> String {
    let raw = raw.trim();
    match raw.strip_prefix('0') {
        Some(rest) if raw.len() == 3 => rest.to_owned(),
        _ => raw.to_owned(),
    }
}

/// The collèges' form of a département code written either way: a
/// two-character INSEE code takes a leading `0` (`93` → `093`, `2A` →
/// `02A`); three-character codes are kept. Surrounding spaces are trimmed.
pub fn college_departement(raw: &str) -> String {
    let raw = raw.trim();
    if raw.len() == 2 {
        format!("0{raw}")
    } else {
        raw.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{college_departement, departement_code};

    #[test]
    fn either_form_gives_the_college_form_and_back() {
        for (given, college) in [
            ("93", "093"),
            ("093", "093"),
            ("2A", "02A"),
            ("02B", "02B"),
            ("974", "974"),
            (" 23 ", "023"),
        ] {
            assert_eq!(college_departement(given), college, "{given}");
            assert_eq!(
                departement_code(&college_departement(given)),
                departement_code(given)
            );
        }
    }

    #[test]
    fn college_codes_take_the_insee_form() {
        for (college, insee) in [
            ("001", "01"),
            ("093", "93"),
            ("095", "95"),
            ("02A", "2A"),
            ("02B", "2B"),
            ("971", "971"),
            ("974", "974"),
            ("976", "976"),
            ("988", "988"),
        ] {
            assert_eq!(departement_code(college), insee, "{college}");
        }
    }

    #[test]
    fn insee_codes_are_kept() {
        for code in ["01", "93", "2A", "2B", "971", "976", "", "unknown", "0"] {
            assert_eq!(departement_code(code), code, "{code}");
        }
        assert_eq!(departement_code(" 093 "), "93");
    }
}
