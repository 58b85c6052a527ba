//! The REST mapping, read from the `google.api.http` annotations of the compiled descriptor:
//! the annotations are the one source of truth for every REST route.

use http::{Method, StatusCode};
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor, Value};

/// One HTTP binding of an RPC.
#[derive(Clone, Debug)]
pub struct Binding {
    pub method: Method,
    /// Path template in the annotation's (and axum's) syntax: `/clusters/{cluster_id}`.
    pub path: String,
    /// `*`, a request field name, or None (no body: the rest comes from the query).
    pub body: Option<String>,
    /// The response field to return instead of the whole response.
    pub response_body: Option<String>,
    pub rpc: MethodDescriptor,
    /// HTTP status on success (`lkm.v1.http_success_code`, default 200).
    pub success: StatusCode,
}

impl Binding {
    /// gRPC path of the RPC: `/lkm.v1.ClusterService/GetCluster`.
    pub fn grpc_path(&self) -> String {
        format!(
            "/{}/{}",
            self.rpc.parent_service().full_name(),
            self.rpc.name()
        )
    }

    /// Names of the path variables, in order.
    pub fn path_params(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect()
    }
}

fn text(rule: &DynamicMessage, field: &str) -> Option<String> {
    match rule.get_field_by_name(field).as_deref() {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn parse_rule(
    rule: &DynamicMessage,
    rpc: &MethodDescriptor,
    success: StatusCode,
    out: &mut Vec<Binding>,
) -> Result<(), String> {
    let verbs = [
        ("get", Method::GET),
        ("put", Method::PUT),
        ("post", Method::POST),
        ("delete", Method::DELETE),
        ("patch", Method::PATCH),
    ];
    let (method, path) = verbs
        .iter()
        .find_map(|(field, m)| text(rule, field).map(|p| (m.clone(), p)))
        .ok_or_else(|| format!("{}: http rule without a supported verb", rpc.full_name()))?;
    if path.contains('=') || path.contains(':') || path.contains("**") {
        return Err(format!(
            "{}: path template {path} uses syntax the gateway does not support",
            rpc.full_name()
        ));
    }
    let binding = Binding {
        method,
        path,
        body: text(rule, "body"),
        response_body: text(rule, "response_body"),
        rpc: rpc.clone(),
        success,
    };
    let input = rpc.input();
    for p in binding.path_params() {
        if p.contains('.') || input.get_field_by_name(&p).is_none() {
            return Err(format!(
                "{}: path variable {{{p}}} is not a field of {}",
                rpc.full_name(),
                input.full_name()
            ));
        }
    }
    if let Some(b) = &binding.body
        && b != "*"
        && input.get_field_by_name(b).is_none()
    {
        return Err(format!(
            "{}: body field {b} does not exist",
            rpc.full_name()
        ));
    }
    if let Some(r) = &binding.response_body
        && rpc.output().get_field_by_name(r).is_none()
    {
        return Err(format!(
            "{}: response_body field {r} does not exist",
            rpc.full_name()
        ));
    }
    out.push(binding);
    if let Some(Value::List(extra)) = rule.get_field_by_name("additional_bindings").as_deref() {
        for r in extra {
            if let Value::Message(m) = r {
                parse_rule(m, rpc, success, out)?;
            }
        }
    }
    Ok(())
}

/// Every HTTP binding of the services of `package`.
pub fn from_descriptor(pool: &DescriptorPool, package: &str) -> Result<Vec<Binding>, String> {
    let http = pool
        .get_extension_by_name("google.api.http")
        .ok_or("the descriptor set lacks google.api.http")?;
    let success_ext = pool.get_extension_by_name("lkm.v1.http_success_code");
    let mut out = Vec::new();
    for service in pool.services().filter(|s| s.package_name() == package) {
        for rpc in service.methods() {
            let options = rpc.options();
            if !options.has_extension(&http) {
                return Err(format!(
                    "{} has no google.api.http annotation",
                    rpc.full_name()
                ));
            }
            let success = success_ext
                .as_ref()
                .filter(|e| options.has_extension(e))
                .and_then(|e| options.get_extension(e).as_i32())
                .map(|c| {
                    u16::try_from(c)
                        .ok()
                        .and_then(|c| StatusCode::from_u16(c).ok())
                })
                .unwrap_or(Some(StatusCode::OK))
                .ok_or_else(|| format!("{}: bad http_success_code", rpc.full_name()))?;
            match options.get_extension(&http).as_ref() {
                Value::Message(rule) => parse_rule(rule, &rpc, success, &mut out)?,
                _ => return Err(format!("{}: malformed google.api.http", rpc.full_name())),
            }
        }
    }
    Ok(out)
}
