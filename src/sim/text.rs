//! `Str`: the string type of object fields. Objects are copied on every write (the API server
//! never edits a stored object in place), so their strings are shared, immutable and cheap to
//! clone: cloning a Pod bumps reference counts instead of allocating each name, label and
//! condition again. The empty string allocates nothing.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(Option<Arc<str>>);

impl Str {
    pub const EMPTY: Str = Str(None);

    pub fn new(s: &str) -> Str {
        if s.is_empty() {
            Str(None)
        } else {
            Str(Some(Arc::from(s)))
        }
    }
    pub fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }
    pub fn clear(&mut self) {
        self.0 = None;
    }
}

impl Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        Str::new(s)
    }
}
impl From<&String> for Str {
    fn from(s: &String) -> Str {
        Str::new(s)
    }
}
impl From<String> for Str {
    fn from(s: String) -> Str {
        if s.is_empty() {
            Str(None)
        } else {
            Str(Some(Arc::from(s)))
        }
    }
}
impl From<&Str> for Str {
    fn from(s: &Str) -> Str {
        s.clone()
    }
}
impl From<Str> for String {
    fn from(s: Str) -> String {
        s.as_str().to_string()
    }
}
impl From<&Str> for String {
    fn from(s: &Str) -> String {
        s.as_str().to_string()
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, o: &str) -> bool {
        self.as_str() == o
    }
}
impl PartialEq<&str> for Str {
    fn eq(&self, o: &&str) -> bool {
        self.as_str() == *o
    }
}
impl PartialEq<String> for Str {
    fn eq(&self, o: &String) -> bool {
        self.as_str() == o.as_str()
    }
}
impl PartialEq<Str> for str {
    fn eq(&self, o: &Str) -> bool {
        self == o.as_str()
    }
}
impl PartialEq<Str> for &str {
    fn eq(&self, o: &Str) -> bool {
        *self == o.as_str()
    }
}
impl PartialEq<Str> for String {
    fn eq(&self, o: &Str) -> bool {
        self.as_str() == o.as_str()
    }
}

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Str {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Str, D::Error> {
        String::deserialize(d).map(Str::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_string() {
        let a = Str::from("web");
        assert_eq!(a, "web");
        assert_eq!(a.clone(), Str::new("web"));
        assert_eq!(format!("{a}/{a:?}"), "web/\"web\"");
        assert!(Str::default().is_empty());
        assert_eq!(Str::from(String::new()), Str::EMPTY);
        assert!(Str::from("a") < Str::from("b"));
        let mut m = std::collections::BTreeMap::new();
        m.insert(Str::from("app"), 1);
        assert_eq!(m.get("app"), Some(&1));
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"web\"");
        assert_eq!(serde_json::from_str::<Str>("\"x\"").unwrap(), "x");
    }
}
