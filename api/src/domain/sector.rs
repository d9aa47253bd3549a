use super::ParseError;
use serde::Serialize;

/// A ROME "grand domaine", identified by a letter from A to N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sector(char);

/// Code and French label of every ROME grand domaine.
pub const SECTORS: [(char, &str); 14] = [
    (
        'A',
        "Agriculture et pêche, espaces naturels et espaces verts, soins aux animaux",
    ),
    ('B', "Arts et façonnage d'ouvrages d'art"),
    ('C', "Banque, assurance, immobilier"),
    ('D', "Commerce, vente et grande distribution"),
    ('E', "Communication, média et multimédia"),
    ('F', "Construction, bâtiment et travaux publics"),
    (
        'G',
        "Hôtellerie-restauration, tourisme, loisirs et animation",
    ),
    ('H', "Industrie"),
    ('I', "Installation et maintenance"),
    ('J', "Santé"),
    ('K', "Services à la personne et à la collectivité"),
    ('L', "Spectacle"),
    ('M', "Support à l'entreprise"),
    ('N', "Transport et logistique"),
];

impl Sector {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let mut chars = raw.trim().chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if ('A'..='N').contains(&c.to_ascii_uppercase()) => {
                Ok(Self(c.to_ascii_uppercase()))
            }
            _ => Err(ParseError::new(
                "a sector is a ROME grand domaine letter from A to N",
            )),
        }
    }

    pub fn code(self) -> char {
        self.0
    }

    pub fn label(self) -> &'static str {
        SECTORS
            .iter()
            .find(|(c, _)| *c == self.0)
            .map_or("", |(_, label)| label)
    }
}

impl Serialize for Sector {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}
