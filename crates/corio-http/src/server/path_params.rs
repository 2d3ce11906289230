//! The serde deserializer behind [`Path`](super::Path): the router's `:name` parameters
//! (already percent-decoded) as one value, a tuple or a struct.
//!
//! One parameter deserializes as a scalar (`Path<u64>`); several as a sequence in pattern
//! order (`Path<(String, u32)>`) or as a map from names to values (a struct with the
//! parameters' names). Each value is text parsed into the type asked for, so a number field
//! takes `"7"`; `"x"` there is an error naming the parameter's text and the expected type.

use std::fmt;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

/// Why path parameters did not fit the type asked for.
#[derive(Debug)]
pub struct PathError(String);

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PathError {}

impl de::Error for PathError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        PathError(msg.to_string())
    }
}

/// Deserializes `T` from the parameters, in pattern order.
pub(crate) fn from_params<T: DeserializeOwned>(
    params: &[(String, String)],
) -> Result<T, PathError> {
    T::deserialize(Params(params))
}

struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    fn single(&self) -> Result<Value<'_>, PathError> {
        match self.0 {
            [(_, value)] => Ok(Value(value)),
            _ => Err(PathError(format!(
                "expected 1 path parameter, the route has {}",
                self.0.len()
            ))),
        }
    }
}

macro_rules! single_value {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
            self.single()?.$method(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Params<'_> {
    type Error = PathError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        let entries = self.0.iter().map(|(k, v)| (k.as_str(), Value(v)));
        visitor.visit_map(MapDeserializer::new(entries))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PathError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        visitor.visit_seq(SeqDeserializer::new(self.0.iter().map(|(_, v)| Value(v))))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, PathError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, PathError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PathError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PathError> {
        self.single()?.deserialize_enum(name, variants, visitor)
    }

    single_value! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32
        deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_option
        deserialize_bytes deserialize_byte_buf deserialize_identifier
    }

    forward_to_deserialize_any! { i128 u128 unit unit_struct ignored_any }
}

/// One parameter's text.
struct Value<'a>(&'a str);

macro_rules! parse_value {
    ($($method:ident => $visit:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
            match self.0.parse() {
                Ok(value) => visitor.$visit(value),
                Err(_) => Err(PathError(format!(
                    "cannot parse path parameter {:?} as {}",
                    self.0,
                    stringify!($method).trim_start_matches("deserialize_")
                ))),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = PathError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        visitor.visit_str(self.0)
    }

    parse_value! {
        deserialize_bool => visit_bool,
        deserialize_i8 => visit_i8,
        deserialize_i16 => visit_i16,
        deserialize_i32 => visit_i32,
        deserialize_i64 => visit_i64,
        deserialize_u8 => visit_u8,
        deserialize_u16 => visit_u16,
        deserialize_u32 => visit_u32,
        deserialize_u64 => visit_u64,
        deserialize_f32 => visit_f32,
        deserialize_f64 => visit_f64,
        deserialize_char => visit_char,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PathError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PathError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PathError> {
        visitor.visit_enum(IntoDeserializer::<PathError>::into_deserializer(self.0))
    }

    forward_to_deserialize_any! {
        i128 u128 str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

impl<'de, 'a> IntoDeserializer<'de, PathError> for Value<'a> {
    type Deserializer = Value<'a>;

    fn into_deserializer(self) -> Value<'a> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Ids {
        user: String,
        post: u32,
    }

    #[test]
    fn scalars_tuples_and_structs() {
        assert_eq!(from_params::<u64>(&params(&[("id", "7")])).unwrap(), 7);
        let both = params(&[("user", "ada"), ("post", "3")]);
        assert_eq!(
            from_params::<(String, u32)>(&both).unwrap(),
            ("ada".to_owned(), 3)
        );
        assert_eq!(
            from_params::<Ids>(&both).unwrap(),
            Ids {
                user: "ada".into(),
                post: 3
            }
        );
    }

    #[test]
    fn mismatches_are_errors_that_say_why() {
        let err = from_params::<u64>(&params(&[("id", "x")])).unwrap_err();
        assert_eq!(err.to_string(), "cannot parse path parameter \"x\" as u64");
        let err = from_params::<u64>(&params(&[("a", "1"), ("b", "2")])).unwrap_err();
        assert!(err.to_string().contains("has 2"), "{err}");
        assert!(from_params::<(u32, u32)>(&params(&[("a", "1")])).is_err());
    }
}
