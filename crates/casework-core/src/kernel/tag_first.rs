//! Internally tagged enums read in one pass when their tag comes first.
//!
//! Serde reads an internally tagged enum (`#[serde(tag = "stage")]`) by buffering the whole
//! object first, since the tag may come anywhere in it: a case's snapshot, every goal, session
//! and note in it, is read twice over and allocated twice, and that was most of what loading a
//! large case cost (`benches/sealing.rs`). The library writes the tag first, so
//! [`tag_first!`] reads it first: when the object's first key is the tag, the rest of the
//! object is handed to the variant's own type as it is read; any other object (written by
//! hand, or by another tool that reordered its keys) goes through `serde_json::Value` to the
//! derived code, so it reads as before, with serde's own errors.
//!
//! The enum derives serde with `#[serde(remote = "Self", tag = …)]`, which gives it the
//! derived code as inherent functions (as for [`crate::kernel::tag`]); the macro implements
//! the traits over them.

/// Implements `Serialize` (as derived) and `Deserialize` (tag first in one pass, otherwise as
/// derived) for an enum whose derives carry `#[serde(remote = "Self", tag = $tag)]` and whose
/// variants each hold one value: `$name` is the variant's tag value.
macro_rules! tag_first {
    ($ty:ident, $tag:literal, { $($name:literal => $variant:ident($inner:ty)),+ $(,)? }) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$ty>::serialize(self, serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                struct TagFirst;

                impl<'de> ::serde::de::Visitor<'de> for TagFirst {
                    type Value = $ty;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        write!(f, "an object tagged `{}`", $tag)
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$ty, A::Error> {
                        use ::serde::de::Error as _;
                        use ::serde::Deserialize as _;
                        const VARIANTS: &[&str] = &[$($name),+];
                        let first: Option<String> = map.next_key()?;
                        if first.as_deref() == Some($tag) {
                            let name: String = map.next_value()?;
                            let rest = ::serde::de::value::MapAccessDeserializer::new(map);
                            return match name.as_str() {
                                $($name => <$inner>::deserialize(rest).map($ty::$variant),)+
                                other => Err(A::Error::unknown_variant(other, VARIANTS)),
                            };
                        }
                        // The tag is not first: the object whole, read as derived.
                        let mut object = ::serde_json::Map::new();
                        if let Some(key) = first {
                            object.insert(key, map.next_value()?);
                            while let Some((key, value)) = map.next_entry()? {
                                object.insert(key, value);
                            }
                        }
                        <$ty>::deserialize(::serde_json::Value::Object(object))
                            .map_err(A::Error::custom)
                    }
                }

                deserializer.deserialize_map(TagFirst)
            }
        }
    };
}
pub(crate) use tag_first;

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Open {
        at: u32,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Shut {
        why: String,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(remote = "Self", tag = "stage", rename_all = "snake_case")]
    enum Door {
        Open(Open),
        Shut(Shut),
    }

    tag_first!(Door, "stage", { "open" => Open(Open), "shut" => Shut(Shut) });

    #[test]
    fn written_tag_first_and_read_in_either_order_with_serdes_errors() {
        let door = Door::Shut(Shut { why: "late".into() });
        let json = serde_json::to_string(&door).unwrap();
        assert_eq!(json, r#"{"stage":"shut","why":"late"}"#);
        assert_eq!(serde_json::from_str::<Door>(&json).unwrap(), door);
        assert_eq!(
            serde_json::from_str::<Door>(r#"{"why":"late","stage":"shut"}"#).unwrap(),
            door,
            "a tag that is not first still reads"
        );
        assert_eq!(
            serde_json::from_value::<Door>(serde_json::json!({"stage": "open", "at": 3})).unwrap(),
            Door::Open(Open { at: 3 })
        );
        let unknown = serde_json::from_str::<Door>(r#"{"stage":"ajar"}"#).unwrap_err();
        assert!(
            unknown.to_string().contains("unknown variant `ajar`"),
            "{unknown}"
        );
        let extra = serde_json::from_str::<Door>(r#"{"stage":"open","at":1,"x":2}"#).unwrap_err();
        assert!(extra.to_string().contains("unknown field `x`"), "{extra}");
        let extra_late = serde_json::from_str::<Door>(r#"{"at":1,"stage":"open","x":2}"#);
        assert!(extra_late.is_err(), "the same refusal either way");
        let missing = serde_json::from_str::<Door>(r#"{"why":"late"}"#).unwrap_err();
        assert!(missing.to_string().contains("stage"), "{missing}");
        assert!(serde_json::from_str::<Door>("{}").is_err());
    }
}
