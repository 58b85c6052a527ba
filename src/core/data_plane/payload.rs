//! Keys and values between `Payload` (binary, UTF-8 text or a JSON document) and the bytes
//! Kafka stores. Produced JSON is stored as its JSON text; consumed bytes come back in the
//! format asked for, never lossily.

use prost_types::value::Kind;

use crate::error::{Error, Result};
use crate::pb::payload::Data;
use crate::pb::{Payload, PayloadFormat};

/// The bytes of a payload; None for an absent payload (a null key or value).
pub fn to_bytes(field: impl Fn() -> String, p: Option<Payload>) -> Result<Option<Vec<u8>>> {
    let Some(data) = p.and_then(|p| p.data) else {
        return Ok(None);
    };
    Ok(Some(match data {
        Data::Binary(b) => b,
        Data::Text(t) => t.into_bytes(),
        Data::Json(v) => {
            let json = to_json(&v).map_err(|e| Error::invalid(format!("{}.json", field()), e))?;
            serde_json::to_vec(&json)
                .map_err(|e| Error::invalid(format!("{}.json", field()), e.to_string()))?
        }
    }))
}

/// A consumed key or value in the asked format: BINARY as bytes; TEXT (and unspecified) as
/// text when the bytes are UTF-8, else bytes; JSON as a document when they parse as JSON
/// (without losing a number's precision), else as TEXT would.
pub fn from_bytes(bytes: Option<Vec<u8>>, format: PayloadFormat) -> Option<Payload> {
    let bytes = bytes?;
    let data = match format {
        PayloadFormat::Binary => Data::Binary(bytes),
        PayloadFormat::Json => match serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|j| from_json(&j))
        {
            Some(v) => Data::Json(v),
            None => text_or_binary(bytes),
        },
        PayloadFormat::Text | PayloadFormat::Unspecified => text_or_binary(bytes),
    };
    Some(Payload { data: Some(data) })
}

fn text_or_binary(bytes: Vec<u8>) -> Data {
    match String::from_utf8(bytes) {
        Ok(s) => Data::Text(s),
        Err(e) => Data::Binary(e.into_bytes()),
    }
}

/// `google.protobuf.Value` → JSON. Numbers that are whole stay integers in the text.
fn to_json(v: &prost_types::Value) -> std::result::Result<serde_json::Value, String> {
    Ok(match &v.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => serde_json::Value::Bool(*b),
        Some(Kind::StringValue(s)) => serde_json::Value::String(s.clone()),
        Some(Kind::NumberValue(n)) => {
            if !n.is_finite() {
                return Err(format!("{n} is not a JSON number"));
            }
            // 2^53: every whole number below it is exact in a double.
            if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
                serde_json::Value::from(*n as i64)
            } else {
                serde_json::Value::from(*n)
            }
        }
        Some(Kind::StructValue(s)) => serde_json::Value::Object(
            s.fields
                .iter()
                .map(|(k, v)| to_json(v).map(|j| (k.clone(), j)))
                .collect::<std::result::Result<_, _>>()?,
        ),
        Some(Kind::ListValue(l)) => serde_json::Value::Array(
            l.values
                .iter()
                .map(to_json)
                .collect::<std::result::Result<_, _>>()?,
        ),
    })
}

/// JSON → `google.protobuf.Value`; None when a number would lose precision as a double.
fn from_json(j: &serde_json::Value) -> Option<prost_types::Value> {
    let kind = match j {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(*b),
        serde_json::Value::String(s) => Kind::StringValue(s.clone()),
        serde_json::Value::Number(n) => {
            let f = n.as_f64()?;
            let exact = match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => f as i64 == i && i.unsigned_abs() <= 1 << 53,
                (None, Some(u)) => f as u64 == u && u <= 1 << 53,
                _ => true,
            };
            if !exact {
                return None;
            }
            Kind::NumberValue(f)
        }
        serde_json::Value::Array(a) => Kind::ListValue(prost_types::ListValue {
            values: a.iter().map(from_json).collect::<Option<_>>()?,
        }),
        serde_json::Value::Object(o) => Kind::StructValue(prost_types::Struct {
            fields: o
                .iter()
                .map(|(k, v)| from_json(v).map(|v| (k.clone(), v)))
                .collect::<Option<_>>()?,
        }),
    };
    Some(prost_types::Value { kind: Some(kind) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(d: Data) -> Payload {
        Payload { data: Some(d) }
    }

    #[test]
    fn produced_payloads_become_bytes() {
        assert_eq!(to_bytes(|| "k".into(), None).unwrap(), None);
        assert_eq!(
            to_bytes(|| "k".into(), Some(payload(Data::Text("héllo".into())))).unwrap(),
            Some("héllo".as_bytes().to_vec())
        );
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(
            to_bytes(|| "k".into(), Some(payload(Data::Binary(all.clone())))).unwrap(),
            Some(all)
        );
        let json: serde_json::Value =
            serde_json::json!({"a": 1, "b": [true, null, 2.5, "x"], "c": {"d": -3}});
        let v = from_json(&json).unwrap();
        let bytes = to_bytes(|| "value".into(), Some(payload(Data::Json(v))))
            .unwrap()
            .unwrap();
        let back: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, json);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"a":1,"b":[true,null,2.5,"x"],"c":{"d":-3}}"#
        );
        let nan = prost_types::Value {
            kind: Some(Kind::NumberValue(f64::NAN)),
        };
        let err = to_bytes(|| "value".into(), Some(payload(Data::Json(nan)))).unwrap_err();
        assert!(err.to_string().starts_with("value.json"), "{err}");
    }

    #[test]
    fn consumed_bytes_come_back_in_the_asked_format_never_lossily() {
        let text = |b: &[u8], f| from_bytes(Some(b.to_vec()), f).unwrap().data.unwrap();
        assert_eq!(from_bytes(None, PayloadFormat::Text), None);
        assert_eq!(
            text(b"hi", PayloadFormat::Unspecified),
            Data::Text("hi".into())
        );
        assert_eq!(text(b"hi", PayloadFormat::Text), Data::Text("hi".into()));
        assert_eq!(
            text(b"hi", PayloadFormat::Binary),
            Data::Binary(b"hi".to_vec())
        );
        let invalid = [0xff, 0xfe, 0x00];
        assert_eq!(
            text(&invalid, PayloadFormat::Text),
            Data::Binary(invalid.to_vec())
        );
        assert_eq!(
            text(&invalid, PayloadFormat::Json),
            Data::Binary(invalid.to_vec())
        );
        assert_eq!(
            text(b"not json", PayloadFormat::Json),
            Data::Text("not json".into())
        );
        match text(br#"{"n": 5}"#, PayloadFormat::Json) {
            Data::Json(v) => assert_eq!(to_json(&v).unwrap(), serde_json::json!({"n": 5})),
            other => panic!("{other:?}"),
        }
        // 2^60 + 1 is not exact as a double: the text is returned instead.
        assert_eq!(
            text(b"1152921504606846977", PayloadFormat::Json),
            Data::Text("1152921504606846977".into())
        );
    }
}
