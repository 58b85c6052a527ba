//! JSON ↔ protobuf for the gateway: builds the request message of an RPC from an HTTP
//! request (path variables, query parameters, JSON body) and renders responses as canonical
//! proto3 JSON. Works on any message through its descriptor.

use base64::Engine;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage,
    SerializeOptions, Value,
};

use super::bindings::Binding;

/// A request the gateway cannot turn into a protobuf message (INVALID_ARGUMENT).
#[derive(Debug)]
pub struct BadRequest(pub String);

impl BadRequest {
    pub fn into_error(self) -> crate::error::Error {
        crate::error::Error::invalid("request", self.0)
    }
}

type Result<T> = std::result::Result<T, BadRequest>;

fn bad(msg: impl Into<String>) -> BadRequest {
    BadRequest(msg.into())
}

/// Parses a JSON document as a message of type `desc`; unknown fields are errors.
pub fn from_json(desc: MessageDescriptor, json: &[u8]) -> Result<DynamicMessage> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let msg = DynamicMessage::deserialize_with_options(desc, &mut de, &DeserializeOptions::new())
        .map_err(|e| bad(format!("invalid JSON body: {e}")))?;
    de.end()
        .map_err(|e| bad(format!("invalid JSON body: {e}")))?;
    Ok(msg)
}

/// Renders `msg` as canonical proto3 JSON, with fields at their default values included.
pub fn to_json(msg: &DynamicMessage) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::new(&mut out);
    let options = SerializeOptions::new().skip_default_fields(false);
    // Serializing into a Vec cannot fail for a well-formed message.
    if let Err(e) = msg.serialize_with_options(&mut ser, &options) {
        tracing::error!(error = %e, "cannot render a response as JSON");
        return b"{}".to_vec();
    }
    out
}

/// Builds the request message of `binding` from the parts of an HTTP request.
pub fn request(
    binding: &Binding,
    path_params: &[(String, String)],
    query: Option<&str>,
    body: &[u8],
) -> Result<DynamicMessage> {
    let input = binding.rpc.input();
    let body_present = !body.iter().all(u8::is_ascii_whitespace);
    let mut msg = match binding.body.as_deref() {
        Some("*") if body_present => from_json(input.clone(), body)?,
        Some(field) if field != "*" && body_present => {
            let fd = input
                .get_field_by_name(field)
                .ok_or_else(|| bad(format!("no field {field}")))?;
            let Kind::Message(field_type) = fd.kind() else {
                return Err(bad(format!("body field {field} is not a message")));
            };
            let value = from_json(field_type, body)?;
            let mut msg = DynamicMessage::new(input.clone());
            infer_update_mask(&mut msg, &fd, body)?;
            msg.set_field(&fd, Value::Message(value));
            msg
        }
        None if body_present => {
            return Err(bad(format!(
                "{} {} takes no request body; pass parameters in the query string",
                binding.method, binding.path
            )));
        }
        _ => DynamicMessage::new(input.clone()),
    };
    if let Some(q) = query {
        for (key, value) in form_urlencoded::parse(q.as_bytes()) {
            if binding.body.as_deref() == Some("*") {
                return Err(bad(format!(
                    "unexpected query parameter '{key}': {} {} takes its parameters in the JSON body",
                    binding.method, binding.path
                )));
            }
            set_path(&mut msg, &key, &value)
                .map_err(|e| bad(format!("query parameter '{key}': {}", e.0)))?;
        }
    }
    for (name, value) in path_params {
        set_path(&mut msg, name, value)
            .map_err(|e| bad(format!("path parameter '{name}': {}", e.0)))?;
    }
    if depth(&msg) > MAX_DEPTH {
        return Err(bad(format!(
            "the request nests messages more than {MAX_DEPTH} levels deep"
        )));
    }
    Ok(msg)
}

/// How deeply a request may nest messages. The services' protobuf decoder stops at 100
/// levels (and fails the call as INTERNAL); JSON that deep (a `google.protobuf.Struct` in a
/// `google.protobuf.Struct` …) is a bad request, refused here.
pub const MAX_DEPTH: usize = 64;

/// Nesting depth of a message as protobuf decoders count it: one level per nested message
/// and per map entry.
fn depth(msg: &DynamicMessage) -> usize {
    fn of(value: &Value) -> usize {
        match value {
            Value::Message(m) => 1 + depth(m),
            Value::List(items) => items.iter().map(of).max().unwrap_or(0),
            Value::Map(entries) if !entries.is_empty() => {
                1 + entries.values().map(of).max().unwrap_or(0)
            }
            _ => 0,
        }
    }
    msg.fields().map(|(_, v)| of(v)).max().unwrap_or(0)
}

fn find_field(desc: &MessageDescriptor, name: &str) -> Option<FieldDescriptor> {
    desc.get_field_by_name(name)
        .or_else(|| desc.get_field_by_json_name(name))
}

/// Sets the field at a dotted path (`page_size`, `kafka_config.heap_size`) from its text
/// form; repeated fields accumulate.
pub fn set_path(msg: &mut DynamicMessage, path: &str, text: &str) -> Result<()> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let desc = msg.descriptor();
    let fd = find_field(&desc, head)
        .ok_or_else(|| bad(format!("{} has no field '{head}'", desc.name())))?;
    if let Some(rest) = rest {
        if fd.is_list() || fd.is_map() || !matches!(fd.kind(), Kind::Message(_)) {
            return Err(bad(format!("'{head}' has no sub-fields")));
        }
        let Value::Message(child) = msg.get_field_mut(&fd) else {
            return Err(bad(format!("'{head}' is not a message")));
        };
        return set_path(child, rest, text);
    }
    if fd.is_map() {
        return Err(bad(format!("map field '{head}' cannot be set from text")));
    }
    let value = parse_scalar(&fd, text)?;
    if fd.is_list() {
        if let Value::List(items) = msg.get_field_mut(&fd) {
            items.push(value);
        }
    } else {
        msg.set_field(&fd, value);
    }
    Ok(())
}

fn parse_scalar(fd: &FieldDescriptor, text: &str) -> Result<Value> {
    let num = |kind: &str| bad(format!("'{text}' is not a valid {kind}"));
    Ok(match fd.kind() {
        Kind::String => Value::String(text.to_string()),
        Kind::Bool => match text {
            "true" | "1" | "" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err(num("boolean (true or false)")),
        },
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Value::I32(text.parse().map_err(|_| num("32-bit integer"))?)
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            Value::I64(text.parse().map_err(|_| num("64-bit integer"))?)
        }
        Kind::Uint32 | Kind::Fixed32 => {
            Value::U32(text.parse().map_err(|_| num("unsigned integer"))?)
        }
        Kind::Uint64 | Kind::Fixed64 => {
            Value::U64(text.parse().map_err(|_| num("unsigned integer"))?)
        }
        Kind::Float => Value::F32(text.parse().map_err(|_| num("number"))?),
        Kind::Double => Value::F64(text.parse().map_err(|_| num("number"))?),
        Kind::Bytes => {
            let engine = base64::engine::general_purpose::STANDARD;
            let url = base64::engine::general_purpose::URL_SAFE;
            let b = engine
                .decode(text)
                .or_else(|_| url.decode(text))
                .map_err(|_| num("base64 value"))?;
            Value::Bytes(b.into())
        }
        Kind::Enum(e) => {
            let by_name = e
                .get_value_by_name(text)
                .or_else(|| {
                    // Accept the short form: RUNNING for CLUSTER_STATUS_RUNNING.
                    let prefix = enum_prefix(e.name());
                    e.get_value_by_name(&format!("{prefix}{}", text.to_ascii_uppercase()))
                })
                .or_else(|| text.parse::<i32>().ok().and_then(|n| e.get_value(n)));
            match by_name {
                Some(v) => Value::EnumNumber(v.number()),
                None => {
                    let names: Vec<String> = e.values().map(|v| v.name().to_string()).collect();
                    return Err(bad(format!(
                        "'{text}' is not a value of {}; expected one of {}",
                        e.name(),
                        names.join(", ")
                    )));
                }
            }
        }
        Kind::Message(m) => {
            // Well-known types (Timestamp, Duration, FieldMask, wrappers) have a JSON string
            // form; reuse the JSON parser for it.
            let json = serde_json::to_vec(&text).map_err(|e| bad(e.to_string()))?;
            let parsed = from_json(m.clone(), &json)
                .map_err(|_| bad(format!("'{text}' is not a valid {}", m.full_name())))?;
            Value::Message(parsed)
        }
    })
}

/// `ClusterStatus` → `CLUSTER_STATUS_`.
fn enum_prefix(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out.push('_');
    out
}

/// For an update whose body is one field (`cluster`) and that names no `update_mask`, the
/// mask is the set of fields present in the body (as grpc-gateway does for PATCH).
fn infer_update_mask(
    msg: &mut DynamicMessage,
    body_field: &FieldDescriptor,
    body: &[u8],
) -> Result<()> {
    let desc = msg.descriptor();
    let Some(mask_fd) = desc.get_field_by_name("update_mask") else {
        return Ok(());
    };
    let Kind::Message(body_type) = body_field.kind() else {
        return Ok(());
    };
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("invalid JSON body: {e}")))?;
    let mut paths = Vec::new();
    collect_paths(&body_type, &json, "", &mut paths);
    let mask_type = match mask_fd.kind() {
        Kind::Message(m) => m,
        _ => return Ok(()),
    };
    let mut mask = DynamicMessage::new(mask_type);
    mask.set_field_by_name(
        "paths",
        Value::List(paths.into_iter().map(Value::String).collect()),
    );
    msg.set_field(&mask_fd, Value::Message(mask));
    Ok(())
}

fn collect_paths(
    desc: &MessageDescriptor,
    json: &serde_json::Value,
    prefix: &str,
    out: &mut Vec<String>,
) {
    let serde_json::Value::Object(map) = json else {
        return;
    };
    for (key, value) in map {
        let Some(fd) = find_field(desc, key) else {
            continue; // the body parser reports unknown fields
        };
        let path = format!("{prefix}{}", fd.name());
        match fd.kind() {
            Kind::Message(m)
                if !fd.is_map()
                    && !fd.is_list()
                    && !m.full_name().starts_with("google.protobuf.")
                    && value.as_object().is_some_and(|o| !o.is_empty()) =>
            {
                collect_paths(&m, value, &format!("{path}."), out)
            }
            _ => out.push(path),
        }
    }
}

/// The part of a response the binding returns.
pub fn response(binding: &Binding, msg: DynamicMessage) -> DynamicMessage {
    match &binding.response_body {
        Some(field) => match msg.get_field_by_name(field).as_deref() {
            Some(Value::Message(m)) => m.clone(),
            _ => msg,
        },
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_messages_and_map_entries() {
        let pool =
            prost_reflect::DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET).unwrap();
        let desc = pool.get_message_by_name("lkm.v1.UiConfig").unwrap();
        let mut nested = serde_json::json!({});
        for _ in 0..3 {
            nested = serde_json::json!({ "a": nested });
        }
        let json = serde_json::json!({ "clustersConfig": nested });
        let msg = from_json(desc, &serde_json::to_vec(&json).unwrap()).unwrap();
        // Struct, then per level a map entry, a Value and a Struct.
        assert_eq!(depth(&msg), 1 + 3 * 3);
    }

    #[test]
    fn enum_prefixes() {
        assert_eq!(enum_prefix("ClusterStatus"), "CLUSTER_STATUS_");
        assert_eq!(enum_prefix("OperationType"), "OPERATION_TYPE_");
    }
}
