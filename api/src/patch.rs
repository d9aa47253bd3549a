//! PATCH bodies as JSON merge patches (RFC 7396): a field left out keeps its
//! value, `null` removes it, a value replaces it. With plain `Option` fields
//! `null` and "left out" both read as `None`, so a client could never clear
//! an optional field such as a home commune.
use crate::error::FieldError;
use serde::{Deserialize, Deserializer};

/// One field of a PATCH body. Declare it with `#[serde(default)]`: serde
/// only calls the deserialiser for fields present in the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Left out: keep the stored value.
    #[default]
    Keep,
    /// `null`: remove the value.
    Clear,
    /// A new value.
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.map_or(Patch::Clear, Patch::Set))
    }
}

impl<T> Patch<T> {
    /// An optional field: `null` empties it.
    pub fn apply(self, target: &mut Option<T>) {
        match self {
            Patch::Keep => {}
            Patch::Clear => *target = None,
            Patch::Set(value) => *target = Some(value),
        }
    }

    /// A field the creation defaults when left out (a flag, a list): `null`
    /// puts that default back.
    pub fn apply_or_default(self, target: &mut T)
    where
        T: Default,
    {
        match self {
            Patch::Keep => {}
            Patch::Clear => *target = T::default(),
            Patch::Set(value) => *target = value,
        }
    }

    /// A required field: `null` is refused, named in `errors`.
    pub fn apply_required(self, field: &str, target: &mut T, errors: &mut Vec<FieldError>) {
        match self {
            Patch::Keep => {}
            Patch::Clear => errors.push(FieldError::new(
                field,
                "is required and cannot be removed (null); leave it out to keep it",
            )),
            Patch::Set(value) => *target = value,
        }
    }
}

impl Patch<String> {
    /// A required commune code whose change drops a `location` pinned to the old
    /// commune, so that the new commune's centroid applies unless the same patch
    /// sets a location.
    pub fn apply_commune<L>(
        self,
        commune: &mut String,
        location: &mut Option<L>,
        errors: &mut Vec<FieldError>,
    ) {
        let before = commune.clone();
        self.apply_required("commune_insee", commune, errors);
        if *commune != before {
            *location = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        commune: Patch<String>,
        #[serde(default)]
        name: Patch<String>,
        #[serde(default)]
        tags: Patch<Vec<String>>,
    }

    #[test]
    fn absent_keeps_null_clears_a_value_replaces() {
        let body: Body = serde_json::from_str(r#"{"commune": null, "tags": ["a"]}"#).unwrap();
        assert_eq!(body.commune, Patch::Clear);
        assert_eq!(body.name, Patch::Keep);
        assert_eq!(body.tags, Patch::Set(vec!["a".to_owned()]));

        let mut commune = Some("93066".to_owned());
        body.commune.apply(&mut commune);
        assert_eq!(commune, None);
        let mut tags = vec!["b".to_owned()];
        Patch::Clear.apply_or_default(&mut tags);
        assert!(tags.is_empty());

        let mut errors = Vec::new();
        let mut name = "Léa".to_owned();
        body.name.apply_required("name", &mut name, &mut errors);
        Patch::Clear.apply_required("name", &mut name, &mut errors);
        assert_eq!(name, "Léa");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "name");
    }

    #[test]
    fn a_wrong_type_is_still_an_error() {
        assert!(serde_json::from_str::<Body>(r#"{"name": 3}"#).is_err());
    }
}
