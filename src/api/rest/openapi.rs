//! The OpenAPI 3 document of the REST gateway, generated from the same descriptor and
//! `google.api.http` bindings the gateway routes by (never written by hand): one operation
//! per binding, JSON Schemas (2020-12, as OpenAPI 3.1 has them) following the proto3 JSON
//! mapping the gateway speaks.

use std::collections::{BTreeMap, HashMap};

use prost_reflect::{DescriptorPool, EnumDescriptor, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value, json};

use super::bindings::Binding;

/// How deep query parameters reach into nested request messages (`a.b.c`).
const MAX_QUERY_DEPTH: usize = 3;

const STATUS: &str = "google.rpc.Status";

/// The OpenAPI 3.1 document of `bindings`.
pub fn document(pool: &DescriptorPool, bindings: &[Binding]) -> Value {
    let mut schemas = Schemas::default();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for binding in bindings {
        let base = format!(
            "{}_{}",
            binding.rpc.parent_service().name(),
            binding.rpc.name()
        );
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        // Additional bindings of an RPC: ListTopics, ListTopics2, … (as grpc-gateway does).
        let id = if *n == 1 { base } else { format!("{base}{n}") };
        let op = operation(&mut schemas, binding, id);
        paths
            .entry(binding.path.clone())
            .or_default()
            .insert(binding.method.as_str().to_ascii_lowercase(), op);
    }
    let status = match pool.get_message_by_name(STATUS) {
        Some(desc) => schemas.message(&desc),
        // Not in the pool: describe its JSON by hand (code, message, details).
        None => json!({
            "type": "object",
            "properties": {
                "code": {"type": "integer", "format": "int32"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": any_schema()},
            },
        }),
    };
    let mut components = schemas.done();
    if !components.contains_key(STATUS) {
        components.insert(STATUS.to_string(), status);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "lkm REST gateway",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The REST/JSON mapping of lkm's gRPC services, generated from their \
                google.api.http annotations. Bodies are canonical proto3 JSON: 64-bit integers \
                as strings, enums by name, bytes in base64, timestamps in RFC 3339; responses \
                include fields at their default values; unknown request fields are errors. \
                Errors are google.rpc.Status JSON with the HTTP status grpc-gateway maps the \
                gRPC code to. Server-streaming RPCs answer with Server-Sent Events (one \
                `message` event per response message, an `error` event carrying a \
                google.rpc.Status if the stream fails); client-streaming RPCs take \
                newline-delimited JSON, one request message per line. A request body must be \
                `application/json` (`application/x-ndjson` for client streams): anything else \
                is refused with 415. A request naming a Host lkm does not serve, or changing \
                something (POST, PUT, PATCH, DELETE) from a foreign Origin, is refused with \
                403.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An lkm API token: `Authorization: Bearer <token>`. \
                        The admin token is written to the data directory on first start.",
                },
            },
        },
        "security": [{"bearerAuth": []}],
    })
}

fn operation(schemas: &mut Schemas, binding: &Binding, id: String) -> Value {
    let rpc = &binding.rpc;
    let input = rpc.input();
    let path_params = binding.path_params();
    let mut parameters = Vec::new();
    for name in &path_params {
        if let Some(fd) = input.get_field_by_name(name) {
            let mut p = json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": schemas.text_schema(&fd),
            });
            describe(
                &mut p,
                comments(fd.parent_file().file_descriptor_proto(), fd.path()),
            );
            parameters.push(p);
        }
    }
    // Fields the body does not carry come from the query string (the gateway refuses query
    // parameters when the whole message is the body).
    if binding.body.as_deref() != Some("*") {
        let mut skip = path_params.clone();
        skip.extend(binding.body.clone());
        let mut visiting = vec![input.full_name().to_string()];
        query_params(schemas, &input, "", &skip, &mut visiting, &mut parameters);
    }

    let mut op = Map::new();
    op.insert("operationId".into(), json!(id));
    op.insert("tags".into(), json!([rpc.parent_service().name()]));
    if let Some(text) = comments(rpc.parent_file().file_descriptor_proto(), rpc.path()) {
        let summary = text
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .replace('\n', " ");
        op.insert("summary".into(), json!(summary.trim()));
        op.insert("description".into(), json!(text));
    }
    let deprecated = rpc.method_descriptor_proto().options.as_ref();
    if deprecated.and_then(|o| o.deprecated).unwrap_or(false) {
        op.insert("deprecated".into(), json!(true));
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = request_body(schemas, binding) {
        op.insert("requestBody".into(), body);
    }
    op.insert("responses".into(), responses(schemas, binding));
    Value::Object(op)
}

fn request_body(schemas: &mut Schemas, binding: &Binding) -> Option<Value> {
    let input = binding.rpc.input();
    let (schema, what) = match binding.body.as_deref()? {
        "*" => (schemas.message(&input), input.full_name().to_string()),
        field => {
            let fd = input.get_field_by_name(field)?;
            (schemas.field(&fd), format!("{}.{field}", input.full_name()))
        }
    };
    Some(if binding.rpc.is_client_streaming() {
        // The stream of messages, sent as newline-delimited JSON.
        json!({
            "description": format!(
                "Newline-delimited JSON: the client stream, one {what} per line (the schema \
                 describes the lines as an array); path parameters apply to every message."
            ),
            "required": false,
            "content": {
                "application/x-ndjson": {"schema": {"type": "array", "items": schema}},
            },
        })
    } else {
        let mut desc = format!("{what} as JSON; an empty body is the message at its defaults.");
        if binding.body.as_deref() == Some("*") && !binding.path_params().is_empty() {
            desc.push_str(" Path parameters override the same fields in the body.");
        }
        json!({
            "description": desc,
            "required": false,
            "content": {"application/json": {"schema": schema}},
        })
    })
}

fn responses(schemas: &mut Schemas, binding: &Binding) -> Value {
    let output = binding.rpc.output();
    let schema = match binding
        .response_body
        .as_deref()
        .and_then(|f| output.get_field_by_name(f))
    {
        Some(fd) => schemas.field(&fd),
        None => schemas.message(&output),
    };
    let status = format!("#/components/schemas/{STATUS}");
    let success = if binding.rpc.is_server_streaming() {
        // Each event: the schema describes one event of the stream (its `data` is JSON).
        let event = |name: &str, data: Value| {
            json!({
                "type": "object",
                "properties": {
                    "event": {"const": name},
                    "data": {
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": data,
                    },
                    "id": {"type": "string"},
                    "retry": {"type": "integer"},
                },
                "required": ["event", "data"],
            })
        };
        json!({
            "description": format!(
                "Server-Sent Events, one per message of the stream: a `message` event whose \
                 data is one {} as JSON; an `error` event whose data is a google.rpc.Status if \
                 the stream fails. A call that fails before the stream starts is an ordinary \
                 error response. The schema describes one event.",
                output.full_name()
            ),
            "content": {"text/event-stream": {"schema": {
                "oneOf": [event("message", schema), event("error", json!({"$ref": &status}))],
            }}},
        })
    } else {
        json!({
            "description": binding
                .success
                .canonical_reason()
                .unwrap_or("Success"),
            "content": {"application/json": {"schema": schema}},
        })
    };
    json!({
        binding.success.as_u16().to_string(): success,
        "default": {
            "description": "An error: google.rpc.Status JSON (code, message, details such as \
                google.rpc.ErrorInfo), with the HTTP status of its gRPC code.",
            "content": {"application/json": {"schema": {"$ref": status}}},
        },
    })
}

/// Query parameters for the fields of `desc` (dotted names for nested messages).
fn query_params(
    schemas: &mut Schemas,
    desc: &MessageDescriptor,
    prefix: &str,
    skip: &[String],
    visiting: &mut Vec<String>,
    out: &mut Vec<Value>,
) {
    for fd in desc.fields() {
        if prefix.is_empty() && skip.iter().any(|s| s == fd.name()) {
            continue;
        }
        if fd.is_map() {
            continue; // a map cannot be set from the query string
        }
        let name = format!("{prefix}{}", fd.name());
        if let Kind::Message(m) = fd.kind()
            && text_form(&m).is_none()
        {
            let nested = m.full_name().to_string();
            if fd.is_list() || visiting.len() >= MAX_QUERY_DEPTH || visiting.contains(&nested) {
                continue;
            }
            visiting.push(nested);
            query_params(schemas, &m, &format!("{name}."), skip, visiting, out);
            visiting.pop();
            continue;
        }
        let mut p = json!({
            "name": name,
            "in": "query",
            "required": false,
            "schema": schemas.text_schema(&fd),
        });
        if fd.is_list() {
            p["style"] = json!("form");
            p["explode"] = json!(true);
        }
        describe(
            &mut p,
            comments(fd.parent_file().file_descriptor_proto(), fd.path()),
        );
        out.push(p);
    }
}

fn describe(target: &mut Value, text: Option<String>) {
    if let (Some(text), Value::Object(map)) = (text, target) {
        map.insert("description".into(), json!(text));
    }
}

/// The leading comment of the element at `path` of a file, when the descriptor set carries
/// source info.
fn comments(file: &prost_types::FileDescriptorProto, path: &[i32]) -> Option<String> {
    let info = file.source_code_info.as_ref()?;
    let location = info.location.iter().find(|l| l.path == path)?;
    let text = location.leading_comments.as_deref()?;
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
        .collect();
    let text = lines.join("\n").trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// The schemas of the components section, built as messages and enums are met.
#[derive(Default)]
struct Schemas {
    components: BTreeMap<String, Value>,
}

impl Schemas {
    fn done(self) -> Map<String, Value> {
        self.components.into_iter().collect()
    }

    fn reference(name: &str) -> Value {
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    /// A message's schema: a well-known type's JSON form inline, any other a reference.
    fn message(&mut self, desc: &MessageDescriptor) -> Value {
        if let Some(schema) = well_known(desc) {
            return schema;
        }
        let name = desc.full_name().to_string();
        if !self.components.contains_key(&name) {
            // Placeholder first, so a recursive message refers to itself.
            self.components.insert(name.clone(), Value::Null);
            let schema = self.message_body(desc);
            self.components.insert(name.clone(), schema);
        }
        Self::reference(&name)
    }

    fn message_body(&mut self, desc: &MessageDescriptor) -> Value {
        let mut properties = Map::new();
        for fd in desc.fields() {
            let mut schema = self.field(&fd);
            // Only inline schemas get the field's comment: a $ref stays a bare reference.
            if schema.get("$ref").is_none() {
                describe(
                    &mut schema,
                    comments(fd.parent_file().file_descriptor_proto(), fd.path()),
                );
            }
            properties.insert(fd.json_name().to_string(), schema);
        }
        let mut schema = json!({
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
        });
        let mut text =
            comments(desc.parent_file().file_descriptor_proto(), desc.path()).unwrap_or_default();
        for oneof in desc.oneofs().filter(|o| !o.is_synthetic()) {
            let names: Vec<String> = oneof.fields().map(|f| f.json_name().to_string()).collect();
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&format!("At most one of: {}.", names.join(", ")));
        }
        describe(&mut schema, (!text.is_empty()).then_some(text));
        schema
    }

    fn enumeration(&mut self, desc: &EnumDescriptor) -> Value {
        if desc.full_name() == "google.protobuf.NullValue" {
            return json!({"type": "null"});
        }
        let name = desc.full_name().to_string();
        if !self.components.contains_key(&name) {
            let values: Vec<String> = desc.values().map(|v| v.name().to_string()).collect();
            let mut schema = json!({"type": "string", "enum": values});
            describe(
                &mut schema,
                comments(desc.parent_file().file_descriptor_proto(), desc.path()),
            );
            self.components.insert(name.clone(), schema);
        }
        Self::reference(&name)
    }

    /// A field's JSON schema (body and responses).
    fn field(&mut self, fd: &FieldDescriptor) -> Value {
        if fd.is_map() {
            let value = match fd.kind() {
                Kind::Message(entry) => self.kind(&entry.map_entry_value_field().kind()),
                _ => json!({}),
            };
            return json!({"type": "object", "additionalProperties": value});
        }
        let item = self.kind(&fd.kind());
        if fd.is_list() {
            json!({"type": "array", "items": item})
        } else {
            item
        }
    }

    fn kind(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Message(m) => self.message(m),
            Kind::Enum(e) => self.enumeration(e),
            scalar => scalar_schema(scalar),
        }
    }

    /// The schema of a path or query parameter: the field's text form.
    fn text_schema(&mut self, fd: &FieldDescriptor) -> Value {
        let item = match fd.kind() {
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => json!({
                "type": "integer", "format": "int64",
                "minimum": i64::MIN, "maximum": i64::MAX,
            }),
            Kind::Uint64 | Kind::Fixed64 => json!({
                "type": "integer", "format": "int64",
                "minimum": 0, "maximum": u64::MAX,
            }),
            Kind::Double | Kind::Float => json!({"type": "number"}),
            Kind::Message(m) => text_form(&m).unwrap_or_else(|| json!({"type": "string"})),
            Kind::Enum(e) => self.enumeration(&e),
            scalar => scalar_schema(&scalar),
        };
        if fd.is_list() {
            json!({"type": "array", "items": item})
        } else {
            item
        }
    }
}

/// The proto3 JSON form of a scalar.
fn scalar_schema(kind: &Kind) -> Value {
    match kind {
        Kind::Double | Kind::Float => json!({
            "anyOf": [
                {"type": "number"},
                {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]},
            ],
        }),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => json!({
            "type": "integer", "format": "int32",
            "minimum": i32::MIN, "maximum": i32::MAX,
        }),
        Kind::Uint32 | Kind::Fixed32 => json!({
            "type": "integer", "format": "int64",
            "minimum": 0, "maximum": u32::MAX,
        }),
        // 64-bit integers are strings in responses; requests may use numbers too.
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => json!({
            "anyOf": [
                {"type": "string", "pattern": "^-?[0-9]+$"},
                {"type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX},
            ],
        }),
        Kind::Uint64 | Kind::Fixed64 => json!({
            "anyOf": [
                {"type": "string", "pattern": "^[0-9]+$"},
                {"type": "integer", "minimum": 0, "maximum": u64::MAX},
            ],
        }),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::String => json!({"type": "string"}),
        Kind::Bytes => json!({"type": "string", "format": "byte"}),
        // Messages and enums are handled by the callers.
        Kind::Message(_) | Kind::Enum(_) => json!({}),
    }
}

fn any_schema() -> Value {
    json!({
        "type": "object",
        "description": "A google.protobuf.Any: `@type` names the message, the other \
            properties are its JSON fields.",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": true,
    })
}

/// The string form of the well-known types that are JSON strings (usable in a query).
fn text_form(desc: &MessageDescriptor) -> Option<Value> {
    Some(match desc.full_name() {
        "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
        "google.protobuf.Duration" => json!({
            "type": "string",
            "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$",
            "description": "A duration in seconds with an `s` suffix, like \"1.5s\".",
        }),
        "google.protobuf.FieldMask" => json!({
            "type": "string",
            "description": "Comma-separated field paths, like \"description,kafkaConfig.heapSize\".",
        }),
        "google.protobuf.StringValue" => json!({"type": "string"}),
        "google.protobuf.BytesValue" => json!({"type": "string", "format": "byte"}),
        "google.protobuf.BoolValue" => json!({"type": "boolean"}),
        "google.protobuf.Int32Value" => scalar_schema(&Kind::Int32),
        "google.protobuf.UInt32Value" => scalar_schema(&Kind::Uint32),
        "google.protobuf.Int64Value" => scalar_schema(&Kind::Int64),
        "google.protobuf.UInt64Value" => scalar_schema(&Kind::Uint64),
        "google.protobuf.FloatValue" | "google.protobuf.DoubleValue" => {
            scalar_schema(&Kind::Double)
        }
        _ => return None,
    })
}

/// The JSON form of a well-known type, or None for an ordinary message.
fn well_known(desc: &MessageDescriptor) -> Option<Value> {
    if let Some(text) = text_form(desc) {
        return Some(text);
    }
    Some(match desc.full_name() {
        "google.protobuf.Struct" => json!({"type": "object", "additionalProperties": {}}),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.ListValue" => json!({"type": "array", "items": {}}),
        "google.protobuf.Empty" => json!({"type": "object", "additionalProperties": false}),
        "google.protobuf.Any" => any_schema(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        let pool = DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET).unwrap();
        let bindings = super::super::bindings::from_descriptor(&pool, "lkm.v1").unwrap();
        document(&pool, &bindings)
    }

    #[test]
    fn every_binding_is_an_operation() {
        let pool = DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET).unwrap();
        let bindings = super::super::bindings::from_descriptor(&pool, "lkm.v1").unwrap();
        let doc = document(&pool, &bindings);
        for b in &bindings {
            let method = b.method.as_str().to_ascii_lowercase();
            assert!(
                doc["paths"][&b.path][&method].is_object(),
                "{method} {}",
                b.path
            );
        }
    }

    #[test]
    fn scalars_follow_the_proto3_json_mapping() {
        let doc = doc();
        let schemas = &doc["components"]["schemas"];
        let cluster = &schemas["lkm.v1.Cluster"];
        assert_eq!(cluster["additionalProperties"], json!(false));
        assert_eq!(
            cluster["properties"]["createdAt"]["format"],
            json!("date-time")
        );
        assert_eq!(
            cluster["properties"]["tags"]["additionalProperties"]["type"],
            json!("string")
        );
        let status = &schemas["lkm.v1.ClusterStatus"];
        assert!(
            status["enum"]
                .as_array()
                .unwrap()
                .contains(&json!("CLUSTER_STATUS_RUNNING"))
        );
        assert!(schemas[STATUS]["properties"]["details"]["items"]["required"].is_array());
    }

    #[test]
    fn comments_become_summaries() {
        let doc = doc();
        let op = &doc["paths"]["/clusters"]["get"];
        assert_eq!(op["operationId"], json!("ClusterService_ListClusters"));
        assert_eq!(
            op["summary"],
            json!("Lists clusters, filtered and paginated.")
        );
    }
}
