//! Generic protobuf work through the descriptors compiled into lkm: canonical proto3 JSON out
//! (the REST gateway's renderer), proto3 JSON in, and `--set field.path=value` flags.

use std::sync::OnceLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

use super::error::CliResult;
use crate::api::rest::transcode;
use crate::pb;

/// A message of the lkm API, known by its full protobuf name.
pub trait Proto: prost::Message + Default + Sized {
    const NAME: &'static str;
}

macro_rules! proto_names {
    ($($t:ident),* $(,)?) => {
        $(impl Proto for pb::$t {
            const NAME: &'static str = concat!("lkm.v1.", stringify!($t));
        })*
    };
}

proto_names!(
    Cluster,
    ClusterTemplate,
    KafkaConfig,
    RestProxyConfig,
    UiConfig,
    RetentionPolicy,
    Topic,
    ConsumedRecord,
    ConsumerGroup,
    Operation,
    ClusterComparisonResult,
    ProducerRecord,
    CreateClusterRequest,
    CreateClusterResponse,
    ListClustersResponse,
    DeleteClusterResponse,
    GetClusterStatusResponse,
    GetClusterComposeResponse,
    GetHostResourcesResponse,
    WhoAmIResponse,
    WatchClustersResponse,
    ListTokensResponse,
    CreateTokenResponse,
    ListGrantsResponse,
    GrantAccessResponse,
    ListAuditEventsResponse,
    ListTemplatesResponse,
    DeleteTemplateResponse,
    ListTopicsResponse,
    DeleteTopicResponse,
    ProduceStreamResponse,
    ConsumeResponse,
    ListConsumerGroupsResponse,
    ResetConsumerGroupOffsetsResponse,
    DeleteConsumerGroupResponse,
    ListOperationsResponse,
    WatchOperationResponse,
);

fn pool() -> CliResult<&'static DescriptorPool> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET)
            .map_err(|e| format!("lkm's compiled descriptors: {e}"))
    })
    .as_ref()
    .map_err(|e| e.clone().into())
}

fn descriptor<M: Proto>() -> CliResult<MessageDescriptor> {
    pool()?
        .get_message_by_name(M::NAME)
        .ok_or_else(|| format!("no descriptor for {}", M::NAME).into())
}

fn to_dynamic<M: Proto>(msg: &M) -> CliResult<DynamicMessage> {
    DynamicMessage::decode(descriptor::<M>()?, msg.encode_to_vec().as_slice())
        .map_err(|e| format!("{}: {e}", M::NAME).into())
}

fn from_dynamic<M: Proto>(msg: &DynamicMessage) -> CliResult<M> {
    M::decode(msg.encode_to_vec().as_slice()).map_err(|e| format!("{}: {e}", M::NAME).into())
}

/// `msg` as canonical proto3 JSON on one line (lowerCamelCase names, enums by name, 64-bit
/// integers as strings, timestamps in RFC 3339; fields at their defaults included).
pub fn to_json<M: Proto>(msg: &M) -> CliResult<Vec<u8>> {
    Ok(transcode::to_json(&to_dynamic(msg)?))
}

/// `msg` as a JSON value (for rendering nested configuration as `key: value` lines).
pub fn to_json_value<M: Proto>(msg: &M) -> CliResult<serde_json::Value> {
    serde_json::from_slice(&to_json(msg)?).map_err(|e| e.to_string().into())
}

/// Parses proto3 JSON (either field-name style) as a message of type `M`.
pub fn from_json<M: Proto>(json: &[u8]) -> Result<M, String> {
    let desc = descriptor::<M>().map_err(|e| e.to_string())?;
    let msg = transcode::from_json(desc, json).map_err(|e| e.0)?;
    from_dynamic(&msg).map_err(|e| e.to_string())
}

/// Sets fields of `msg` by dotted path from text (`kafka_config.num_partitions=6`), as the
/// REST gateway reads query parameters: enums by name, durations like `30s`, timestamps in
/// RFC 3339, booleans `true`/`false`.
pub fn set_fields<M: Proto>(msg: &mut M, sets: &[(String, String)]) -> CliResult {
    if sets.is_empty() {
        return Ok(());
    }
    let mut dynamic = to_dynamic(msg)?;
    for (path, value) in sets {
        transcode::set_path(&mut dynamic, path, value)
            .map_err(|e| format!("--set {path}={value}: {}", e.0))?;
    }
    *msg = from_dynamic(&dynamic)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_canonical_proto3() {
        let c = pb::Cluster {
            name: "dev".into(),
            status: pb::ClusterStatus::Running as i32,
            ..Default::default()
        };
        let v: serde_json::Value = serde_json::from_slice(&to_json(&c).unwrap()).unwrap();
        assert_eq!(v["name"], "dev");
        assert_eq!(v["status"], "CLUSTER_STATUS_RUNNING");
        assert_eq!(v["externalBootstrapServers"], "");
    }

    #[test]
    fn set_paths_and_parse_json() {
        let mut req = pb::CreateClusterRequest::default();
        set_fields(
            &mut req,
            &[
                ("kafka_config.num_partitions".into(), "6".into()),
                ("kafka_config.engine".into(), "BROKER_ENGINE_TANSU".into()),
                ("auto_start".into(), "false".into()),
            ],
        )
        .unwrap();
        let k = req.kafka_config.unwrap();
        assert_eq!(k.num_partitions, Some(6));
        assert_eq!(k.engine, Some(pb::BrokerEngine::Tansu as i32));
        assert_eq!(req.auto_start, Some(false));
        let bad = set_fields(
            &mut pb::CreateClusterRequest::default(),
            &[("nope".into(), "1".into())],
        );
        assert!(bad.unwrap_err().to_string().contains("nope"));
        let r: pb::ProducerRecord =
            from_json(br#"{"key": {"text": "k"}, "value": {"json": {"a": 1}}, "partition": 2}"#)
                .unwrap();
        assert_eq!(r.partition, Some(2));
        assert!(from_json::<pb::ProducerRecord>(b"{\"nope\": 1}").is_err());
    }
}
