//! Tagged enums written with the tag `kind`, read under the `kind` tag or their old one.
//!
//! Before issue 14 several internally tagged enums were tagged with the name of the field that
//! holds them, so a front end saw the tag twice: `"source":{"source":"agency","agency":"…"}`.
//! They are now tagged [`TAG`] (`"source":{"kind":"agency","agency":"…"}`), and events,
//! snapshots and clients written in the old form must still be read. Each such enum derives
//! serde with `#[serde(remote = "Self", tag = "kind", …)]`, which gives it the derived code as
//! inherent functions, and [`kind_tagged!`] implements the traits over them: `Serialize` as
//! derived, `Deserialize` through [`Retagged`], which hands the derived code the key `kind`
//! wherever the old tag name is a key of the enum's own object (nested objects are left
//! alone). Everything else is serde's own: "unknown variant … expected one of …", "missing
//! field `kind`", `deny_unknown_fields`, and the positions serde_json adds. An object with both
//! keys is refused as a duplicate `kind`.
//!
//! No `serde_json::Value` is involved, so the enums read the same from any serde format.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::fmt;

/// The tag every retagged enum is written with.
pub const TAG: &str = "kind";

/// Implements `Serialize` and `Deserialize` for an enum whose derives carry
/// `#[serde(remote = "Self", tag = "kind", …)]`: written as derived, read with `kind` or the
/// legacy tag `$legacy`.
macro_rules! kind_tagged {
    // An enum generic over what its words are (stored sealed, or as a person gives them).
    ($ty:ident<$param:ident>, $legacy:literal) => {
        impl<$param: ::serde::Serialize> ::serde::Serialize for $ty<$param> {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$ty<$param>>::serialize(self, serializer)
            }
        }

        impl<'de, $param: ::serde::Deserialize<'de>> ::serde::Deserialize<'de> for $ty<$param> {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                <$ty<$param>>::deserialize($crate::kernel::tag::Retagged::new(
                    deserializer,
                    $legacy,
                ))
            }
        }
    };
    ($ty:ty, $legacy:literal) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$ty>::serialize(self, serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                <$ty>::deserialize($crate::kernel::tag::Retagged::new(deserializer, $legacy))
            }
        }
    };
}
pub(crate) use kind_tagged;

/// Where a wrapped deserializer stands: at the enum's object (rename its keys) or at one of
/// its keys (rename the legacy name to [`TAG`]).
#[derive(Clone, Copy)]
enum At {
    Object,
    Key,
}

/// A deserializer that reads the legacy tag name of the enum's object as [`TAG`].
pub struct Retagged<D> {
    inner: D,
    legacy: &'static str,
    at: At,
}

impl<D> Retagged<D> {
    /// Wraps the deserializer of an enum that was tagged `legacy`.
    pub fn new(inner: D, legacy: &'static str) -> Self {
        Retagged {
            inner,
            legacy,
            at: At::Object,
        }
    }
}

struct Wrap<V> {
    visitor: V,
    legacy: &'static str,
    at: At,
}

impl<V> Wrap<V> {
    fn renamed<'a>(&self, key: &'a str) -> &'a str {
        match self.at {
            At::Key if key == self.legacy => TAG,
            _ => key,
        }
    }
}

macro_rules! forward_deserialize {
    ($($method:ident ( $($arg:ident : $argty:ty),* );)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $argty,)* visitor: V) -> Result<V::Value, Self::Error> {
                let wrapped = Wrap { visitor, legacy: self.legacy, at: self.at };
                self.inner.$method($($arg,)* wrapped)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Retagged<D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident ( $ty:ty );)*) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                self.visitor.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let key = self.renamed(v);
        self.visitor.visit_str(key)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        let key = self.renamed(v);
        self.visitor.visit_borrowed_str(key)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        if matches!(self.at, At::Key) && v == self.legacy {
            self.visitor.visit_str(TAG)
        } else {
            self.visitor.visit_string(v)
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_some(d)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_newtype_struct(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        match self.at {
            At::Object => self.visitor.visit_map(Keys {
                map,
                legacy: self.legacy,
            }),
            At::Key => self.visitor.visit_map(map),
        }
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_enum(data)
    }
}

/// The enum's object, its keys read through [`Retagged`] at [`At::Key`].
struct Keys<A> {
    map: A,
    legacy: &'static str,
}

struct KeySeed<S> {
    seed: S,
    legacy: &'static str,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.seed.deserialize(Retagged {
            inner: d,
            legacy: self.legacy,
            at: At::Key,
        })
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Keys<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        self.map.next_key_seed(KeySeed {
            seed,
            legacy: self.legacy,
        })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.map.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}
