//! Admin calls that the rdkafka crate (0.39) does not wrap, made through the C API of the
//! librdkafka it bundles (2.12, which has them all): IncrementalAlterConfigs,
//! ListConsumerGroups, DescribeConsumerGroups, ListConsumerGroupOffsets,
//! AlterConsumerGroupOffsets and ListOffsets; and DescribeConfigs of a broker, which the
//! crate wraps but without the resource's own error.
//!
//! Each call posts one admin request on the pooled admin client with a result queue of its
//! own and waits for the result event, so every function here blocks: call them from
//! `spawn_blocking`. Everything librdkafka allocates for a call is freed by the guards below;
//! librdkafka copies the arguments it is given, so ours are freed when the call returns.

use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr;
use std::time::Duration;

use rdkafka::admin::AdminClient;
use rdkafka::bindings as rd;
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;

/// A failed call or a failed part of one: the error code and librdkafka's (or the broker's)
/// description.
#[derive(Clone, Debug)]
pub struct NativeError {
    pub code: RDKafkaErrorCode,
    pub message: String,
}

impl NativeError {
    fn new(code: RDKafkaErrorCode, message: impl Into<String>) -> Self {
        NativeError {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for NativeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{} ({:?})", self.message, self.code)
        }
    }
}

type Result<T> = std::result::Result<T, NativeError>;

/// One partition's offset in a result, or its error.
#[derive(Clone, Debug)]
pub struct PartitionOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub error: Option<RDKafkaErrorCode>,
}

#[derive(Clone, Debug)]
pub struct GroupListing {
    pub group_id: String,
    pub state: String,
    pub simple: bool,
}

#[derive(Clone, Debug)]
pub struct MemberDescription {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    pub assignment: Vec<(String, i32)>,
}

#[derive(Clone, Debug)]
pub struct GroupDescription {
    pub group_id: String,
    /// Set when the broker could not describe this group.
    pub error: Option<NativeError>,
    pub state: String,
    pub assignor: String,
    pub simple: bool,
    pub members: Vec<MemberDescription>,
}

type Admin = AdminClient<DefaultClientContext>;

/// A librdkafka client handle the admin API can post requests on.
pub trait Handle {
    fn rk(&self) -> *mut rd::rd_kafka_t;
}

impl Handle for Admin {
    fn rk(&self) -> *mut rd::rd_kafka_t {
        self.inner().native_ptr()
    }
}

impl Handle for BaseConsumer {
    fn rk(&self) -> *mut rd::rd_kafka_t {
        self.client().native_ptr()
    }
}

/// Coordinator errors a retry gets past: the group's coordinator is being elected, moved
/// or loaded (on real Kafka, right after `__consumer_offsets` is created on first use).
fn coordinator_busy(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::NotCoordinator
            | RDKafkaErrorCode::CoordinatorLoadInProgress
            | RDKafkaErrorCode::CoordinatorNotAvailable
            | RDKafkaErrorCode::WaitingForCoordinator
    )
}

/// Runs a group-coordinator call again, with a short backoff, while the answer (whole or
/// for a partition) says the coordinator is busy, until `timeout`.
fn retry_while_coordinator_busy(
    timeout: Duration,
    mut call: impl FnMut(Duration) -> Result<Vec<PartitionOffset>>,
) -> Result<Vec<PartitionOffset>> {
    let deadline = std::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(50);
    loop {
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        let result = call(remaining.max(Duration::from_secs(1)));
        let busy = match &result {
            Err(e) => coordinator_busy(e.code),
            Ok(parts) => parts.iter().any(|p| p.error.is_some_and(coordinator_busy)),
        };
        if !busy || std::time::Instant::now() + pause >= deadline {
            return result;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// # Safety
/// `p` is null or a NUL-terminated string that lives for the duration of the call.
unsafe fn text(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: non-null and NUL-terminated per the contract.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

fn cstring(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| {
        NativeError::new(
            RDKafkaErrorCode::InvalidArgument,
            format!("{what} contains a NUL character"),
        )
    })
}

/// # Safety
/// `e` is null or a valid `rd_kafka_error_t` (not freed here: the caller owns it).
unsafe fn error_of(e: *const rd::rd_kafka_error_t) -> Option<NativeError> {
    if e.is_null() {
        return None;
    }
    // SAFETY: a valid error object per the contract.
    let (code, message) = unsafe {
        (
            rd::rd_kafka_error_code(e),
            text(rd::rd_kafka_error_string(e)),
        )
    };
    Some(NativeError::new(code.into(), message))
}

/// Takes ownership of an `rd_kafka_error_t` returned to us and frees it.
///
/// # Safety
/// `e` is null or an error object the caller owns.
unsafe fn take_error(e: *mut rd::rd_kafka_error_t) -> Option<NativeError> {
    // SAFETY: per the contract; destroyed once, right after reading it.
    unsafe {
        let out = error_of(e);
        if !e.is_null() {
            rd::rd_kafka_error_destroy(e);
        }
        out
    }
}

/// The result queue and admin options of one call.
struct Call {
    queue: *mut rd::rd_kafka_queue_t,
    options: *mut rd::rd_kafka_AdminOptions_t,
    timeout: Duration,
}

impl Call {
    fn new(client: &dyn Handle, op: rd::rd_kafka_admin_op_t, timeout: Duration) -> Result<Call> {
        let rk = client.rk();
        // SAFETY: rk is the live handle of `admin`; both objects are freed in Drop.
        let (queue, options) = unsafe {
            (
                rd::rd_kafka_queue_new(rk),
                rd::rd_kafka_AdminOptions_new(rk, op),
            )
        };
        let call = Call {
            queue,
            options,
            timeout,
        };
        if queue.is_null() || options.is_null() {
            return Err(NativeError::new(
                RDKafkaErrorCode::Fail,
                "cannot allocate an admin request",
            ));
        }
        let mut errstr = [0 as c_char; 256];
        let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: options is valid; errstr is a writable buffer of the given size.
        let err = unsafe {
            rd::rd_kafka_AdminOptions_set_request_timeout(
                options,
                ms,
                errstr.as_mut_ptr(),
                errstr.len(),
            )
        };
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            // SAFETY: librdkafka NUL-terminates errstr.
            let msg = unsafe { text(errstr.as_ptr()) };
            return Err(NativeError::new(err.into(), msg));
        }
        Ok(call)
    }

    /// Waits for the result event of the request posted on this call's queue.
    fn wait(&self) -> Result<Event> {
        // librdkafka times the request out itself; the margin covers its bookkeeping.
        let wait = self.timeout + Duration::from_secs(2);
        let ms = c_int::try_from(wait.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: the queue is valid for the life of self.
        let ev = unsafe { rd::rd_kafka_queue_poll(self.queue, ms) };
        if ev.is_null() {
            return Err(NativeError::new(
                RDKafkaErrorCode::OperationTimedOut,
                format!("no answer within {}s", wait.as_secs()),
            ));
        }
        let ev = Event(ev);
        // SAFETY: ev is a valid event until dropped.
        let err = unsafe { rd::rd_kafka_event_error(ev.0) };
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            // SAFETY: as above; the string lives as long as the event.
            let msg = unsafe { text(rd::rd_kafka_event_error_string(ev.0)) };
            return Err(NativeError::new(err.into(), msg));
        }
        Ok(ev)
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        // SAFETY: both were allocated in `new` and are freed exactly once here.
        unsafe {
            if !self.options.is_null() {
                rd::rd_kafka_AdminOptions_destroy(self.options);
            }
            if !self.queue.is_null() {
                rd::rd_kafka_queue_destroy(self.queue);
            }
        }
    }
}

struct Event(*mut rd::rd_kafka_event_t);

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: the event came from rd_kafka_queue_poll and is destroyed once.
        unsafe { rd::rd_kafka_event_destroy(self.0) }
    }
}

/// A topic-partition list we own.
struct PartitionList(*mut rd::rd_kafka_topic_partition_list_t);

impl PartitionList {
    fn new(items: &[(String, i32, i64)]) -> Result<PartitionList> {
        let size = c_int::try_from(items.len()).unwrap_or(c_int::MAX);
        // SAFETY: allocation; freed in Drop.
        let list = PartitionList(unsafe { rd::rd_kafka_topic_partition_list_new(size) });
        for (topic, partition, offset) in items {
            let t = cstring("topic", topic)?;
            // SAFETY: list is valid; librdkafka copies the topic name.
            let tp =
                unsafe { rd::rd_kafka_topic_partition_list_add(list.0, t.as_ptr(), *partition) };
            if tp.is_null() {
                return Err(NativeError::new(RDKafkaErrorCode::Fail, "partition list"));
            }
            // SAFETY: tp points into the list we own.
            unsafe { (*tp).offset = *offset };
        }
        Ok(list)
    }
}

impl Drop for PartitionList {
    fn drop(&mut self) {
        // SAFETY: allocated in `new`, destroyed once.
        unsafe { rd::rd_kafka_topic_partition_list_destroy(self.0) }
    }
}

/// # Safety
/// `list` is null or a valid partition list that outlives the call.
unsafe fn read_partitions(
    list: *const rd::rd_kafka_topic_partition_list_t,
) -> Vec<PartitionOffset> {
    if list.is_null() {
        return Vec::new();
    }
    // SAFETY: a valid list per the contract: `elems` holds `cnt` entries.
    unsafe {
        let l = &*list;
        let n = usize::try_from(l.cnt).unwrap_or(0);
        if l.elems.is_null() || n == 0 {
            return Vec::new();
        }
        std::slice::from_raw_parts(l.elems, n)
            .iter()
            .map(|tp| PartitionOffset {
                topic: text(tp.topic),
                partition: tp.partition,
                offset: tp.offset,
                error: (tp.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
                    .then(|| tp.err.into()),
            })
            .collect()
    }
}

/// # Safety
/// `array` is null or points to `n` valid pointers.
unsafe fn slice<'a, T>(array: *mut *const T, n: usize) -> &'a [*const T] {
    if array.is_null() || n == 0 {
        &[]
    } else {
        // SAFETY: per the contract.
        unsafe { std::slice::from_raw_parts(array, n) }
    }
}

/// Sets and deletes configs of one topic, leaving the others as they are (KIP-339).
pub fn incremental_alter_topic_configs(
    admin: &Admin,
    topic: &str,
    set: &[(String, String)],
    delete: &[String],
    timeout: Duration,
) -> Result<()> {
    let call = Call::new(
        admin,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS,
        timeout,
    )?;
    let name = cstring("topic", topic)?;
    struct Resource(*mut rd::rd_kafka_ConfigResource_t);
    impl Drop for Resource {
        fn drop(&mut self) {
            // SAFETY: allocated below, destroyed once.
            unsafe { rd::rd_kafka_ConfigResource_destroy(self.0) }
        }
    }
    // SAFETY: allocation with a valid name; freed by the guard.
    let mut resource = Resource(unsafe {
        rd::rd_kafka_ConfigResource_new(
            rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
            name.as_ptr(),
        )
    });
    let ops = set
        .iter()
        .map(|(k, v)| (k.as_str(), Some(v.as_str())))
        .chain(delete.iter().map(|k| (k.as_str(), None)));
    for (key, value) in ops {
        let k = cstring("config name", key)?;
        let v = value.map(|v| cstring("config value", v)).transpose()?;
        let op = if v.is_some() {
            rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET
        } else {
            rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE
        };
        let vp = v.as_ref().map_or(ptr::null(), |v| v.as_ptr());
        // SAFETY: valid resource and strings; librdkafka copies them.
        let err = unsafe {
            take_error(rd::rd_kafka_ConfigResource_add_incremental_config(
                resource.0,
                k.as_ptr(),
                op,
                vp,
            ))
        };
        if let Some(e) = err {
            return Err(e);
        }
    }
    // SAFETY: one valid resource; options and queue from `call`.
    unsafe {
        rd::rd_kafka_IncrementalAlterConfigs(
            admin.rk(),
            &mut resource.0,
            1,
            call.options,
            call.queue,
        )
    };
    let ev = call.wait()?;
    // SAFETY: the event is an IncrementalAlterConfigs result; its resources live with it.
    unsafe {
        let result = rd::rd_kafka_event_IncrementalAlterConfigs_result(ev.0);
        if result.is_null() {
            return Err(NativeError::new(RDKafkaErrorCode::Fail, "unexpected event"));
        }
        let mut n = 0usize;
        let resources = rd::rd_kafka_IncrementalAlterConfigs_result_resources(result, &mut n);
        for r in slice(resources, n) {
            let err = rd::rd_kafka_ConfigResource_error(*r);
            if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                let msg = text(rd::rd_kafka_ConfigResource_error_string(*r));
                return Err(NativeError::new(err.into(), msg));
            }
        }
    }
    Ok(())
}

/// One entry of a described configuration.
#[derive(Clone, Debug)]
pub struct ConfigValue {
    pub name: String,
    pub value: Option<String>,
    pub sensitive: bool,
}

/// The configuration of broker `broker` (DescribeConfigs of the BROKER resource, KIP-133).
/// Made here because the rdkafka crate's `describe_configs` drops a resource's own error and
/// answers an empty configuration instead; here that error is the answer.
pub fn describe_broker_configs(
    admin: &Admin,
    broker: i32,
    timeout: Duration,
) -> Result<Vec<ConfigValue>> {
    let call = Call::new(
        admin,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
        timeout,
    )?;
    let name = cstring("broker id", &broker.to_string())?;
    struct Resource(*mut rd::rd_kafka_ConfigResource_t);
    impl Drop for Resource {
        fn drop(&mut self) {
            // SAFETY: allocated below, destroyed once.
            unsafe { rd::rd_kafka_ConfigResource_destroy(self.0) }
        }
    }
    // SAFETY: allocation with a valid name; freed by the guard.
    let mut resource = Resource(unsafe {
        rd::rd_kafka_ConfigResource_new(
            rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_BROKER,
            name.as_ptr(),
        )
    });
    // SAFETY: one valid resource; options and queue from `call`.
    unsafe {
        rd::rd_kafka_DescribeConfigs(admin.rk(), &mut resource.0, 1, call.options, call.queue)
    };
    let ev = call.wait()?;
    // SAFETY: the event is a DescribeConfigs result; its resources and entries live with it.
    unsafe {
        let result = rd::rd_kafka_event_DescribeConfigs_result(ev.0);
        if result.is_null() {
            return Err(NativeError::new(RDKafkaErrorCode::Fail, "unexpected event"));
        }
        let mut n = 0usize;
        let resources = rd::rd_kafka_DescribeConfigs_result_resources(result, &mut n);
        let Some(r) = slice(resources, n).first() else {
            return Err(NativeError::new(
                RDKafkaErrorCode::Fail,
                "the broker described no resource",
            ));
        };
        let err = rd::rd_kafka_ConfigResource_error(*r);
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            let msg = text(rd::rd_kafka_ConfigResource_error_string(*r));
            return Err(NativeError::new(err.into(), msg));
        }
        let mut m = 0usize;
        let entries = rd::rd_kafka_ConfigResource_configs(*r, &mut m);
        Ok(slice(entries, m)
            .iter()
            .map(|e| {
                let value = rd::rd_kafka_ConfigEntry_value(*e);
                ConfigValue {
                    name: text(rd::rd_kafka_ConfigEntry_name(*e)),
                    value: (!value.is_null()).then(|| text(value)),
                    sensitive: rd::rd_kafka_ConfigEntry_is_sensitive(*e) != 0,
                }
            })
            .collect())
    }
}

/// Every consumer group the cluster knows (ListGroups on each broker); per-broker failures
/// come back beside the groups that were listed.
pub fn list_groups(
    admin: &Admin,
    timeout: Duration,
) -> Result<(Vec<GroupListing>, Vec<NativeError>)> {
    let call = Call::new(
        admin,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
        timeout,
    )?;
    // SAFETY: options and queue from `call`.
    unsafe { rd::rd_kafka_ListConsumerGroups(admin.rk(), call.options, call.queue) };
    let ev = call.wait()?;
    // SAFETY: the event is a ListConsumerGroups result; what it points to lives with it.
    unsafe {
        let result = rd::rd_kafka_event_ListConsumerGroups_result(ev.0);
        if result.is_null() {
            return Err(NativeError::new(RDKafkaErrorCode::Fail, "unexpected event"));
        }
        let mut n = 0usize;
        let valid = rd::rd_kafka_ListConsumerGroups_result_valid(result, &mut n);
        let groups = slice(valid, n)
            .iter()
            .map(|g| GroupListing {
                group_id: text(rd::rd_kafka_ConsumerGroupListing_group_id(*g)),
                state: text(rd::rd_kafka_consumer_group_state_name(
                    rd::rd_kafka_ConsumerGroupListing_state(*g),
                )),
                simple: rd::rd_kafka_ConsumerGroupListing_is_simple_consumer_group(*g) != 0,
            })
            .collect();
        let mut m = 0usize;
        let errors = rd::rd_kafka_ListConsumerGroups_result_errors(result, &mut m);
        let errors = slice(errors, m)
            .iter()
            .filter_map(|e| error_of(*e))
            .collect();
        Ok((groups, errors))
    }
}

/// Describes consumer groups: state, assignor and members (with their assignments).
pub fn describe_groups(
    admin: &Admin,
    groups: &[String],
    timeout: Duration,
) -> Result<Vec<GroupDescription>> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let call = Call::new(
        admin,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
        timeout,
    )?;
    let names: Vec<CString> = groups
        .iter()
        .map(|g| cstring("group id", g))
        .collect::<Result<_>>()?;
    let mut ptrs: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
    // SAFETY: `ptrs` holds valid strings that outlive the call (librdkafka copies them).
    unsafe {
        rd::rd_kafka_DescribeConsumerGroups(
            admin.rk(),
            ptrs.as_mut_ptr(),
            ptrs.len(),
            call.options,
            call.queue,
        )
    };
    let ev = call.wait()?;
    // SAFETY: the event is a DescribeConsumerGroups result; what it points to lives with it.
    unsafe {
        let result = rd::rd_kafka_event_DescribeConsumerGroups_result(ev.0);
        if result.is_null() {
            return Err(NativeError::new(RDKafkaErrorCode::Fail, "unexpected event"));
        }
        let mut n = 0usize;
        let descs = rd::rd_kafka_DescribeConsumerGroups_result_groups(result, &mut n);
        let mut out = Vec::with_capacity(n);
        for d in slice(descs, n) {
            let d = *d;
            let members = (0..rd::rd_kafka_ConsumerGroupDescription_member_count(d))
                .map(|i| rd::rd_kafka_ConsumerGroupDescription_member(d, i))
                .filter(|m| !m.is_null())
                .map(|m| {
                    let assignment = rd::rd_kafka_MemberDescription_assignment(m);
                    let parts = if assignment.is_null() {
                        Vec::new()
                    } else {
                        read_partitions(rd::rd_kafka_MemberAssignment_partitions(assignment))
                    };
                    MemberDescription {
                        member_id: text(rd::rd_kafka_MemberDescription_consumer_id(m)),
                        client_id: text(rd::rd_kafka_MemberDescription_client_id(m)),
                        host: text(rd::rd_kafka_MemberDescription_host(m)),
                        assignment: parts.into_iter().map(|p| (p.topic, p.partition)).collect(),
                    }
                })
                .collect();
            out.push(GroupDescription {
                group_id: text(rd::rd_kafka_ConsumerGroupDescription_group_id(d)),
                error: error_of(rd::rd_kafka_ConsumerGroupDescription_error(d)),
                state: text(rd::rd_kafka_consumer_group_state_name(
                    rd::rd_kafka_ConsumerGroupDescription_state(d),
                )),
                assignor: text(rd::rd_kafka_ConsumerGroupDescription_partition_assignor(d)),
                simple: rd::rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d) != 0,
                members,
            });
        }
        Ok(out)
    }
}

/// Reads the group results of a ListConsumerGroupOffsets or AlterConsumerGroupOffsets
/// event (one group per call).
///
/// # Safety
/// `groups` points to `n` valid group results that live as long as the event.
unsafe fn group_partitions(
    groups: *mut *const rd::rd_kafka_group_result_t,
    n: usize,
) -> Result<Vec<PartitionOffset>> {
    // SAFETY: per the contract.
    unsafe {
        let mut out = Vec::new();
        for g in slice(groups, n) {
            if let Some(e) = error_of(rd::rd_kafka_group_result_error(*g)) {
                return Err(e);
            }
            out.extend(read_partitions(rd::rd_kafka_group_result_partitions(*g)));
        }
        Ok(out)
    }
}

/// The committed offsets of `group`: for the given partitions, or (None) for every partition
/// it has committed offsets on. Partitions without one have offset -1001 (none).
///
/// `client` must be a consumer handle with a `group.id` of its own (see `Clients`): on
/// NOT_COORDINATOR librdkafka (2.12 to at least 2.15) re-queries the coordinator through the
/// handle's consumer group and crashes the process when the handle has none.
pub fn list_group_offsets(
    client: &BaseConsumer,
    group: &str,
    partitions: Option<&[(String, i32)]>,
    timeout: Duration,
) -> Result<Vec<PartitionOffset>> {
    retry_while_coordinator_busy(timeout, |t| {
        list_group_offsets_once(client, group, partitions, t)
    })
}

fn list_group_offsets_once(
    admin: &BaseConsumer,
    group: &str,
    partitions: Option<&[(String, i32)]>,
    timeout: Duration,
) -> Result<Vec<PartitionOffset>> {
    let call = Call::new(
        admin,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
        timeout,
    )?;
    let g = cstring("group id", group)?;
    let list = partitions
        .map(|ps| {
            let items: Vec<(String, i32, i64)> =
                ps.iter().map(|(t, p)| (t.clone(), *p, -1001)).collect();
            PartitionList::new(&items)
        })
        .transpose()?;
    struct Request(*mut rd::rd_kafka_ListConsumerGroupOffsets_t);
    impl Drop for Request {
        fn drop(&mut self) {
            // SAFETY: allocated below, destroyed once.
            unsafe { rd::rd_kafka_ListConsumerGroupOffsets_destroy(self.0) }
        }
    }
    // SAFETY: valid group name and (optional) list, both copied by librdkafka.
    let mut request = Request(unsafe {
        rd::rd_kafka_ListConsumerGroupOffsets_new(
            g.as_ptr(),
            list.as_ref().map_or(ptr::null(), |l| l.0),
        )
    });
    // SAFETY: one valid request; options and queue from `call`.
    unsafe {
        rd::rd_kafka_ListConsumerGroupOffsets(
            admin.rk(),
            &mut request.0,
            1,
            call.options,
            call.queue,
        )
    };
    let ev = call.wait()?;
    // SAFETY: the event is a ListConsumerGroupOffsets result.
    unsafe {
        let result = rd::rd_kafka_event_ListConsumerGroupOffsets_result(ev.0);
        if result.is_null() {
            return Err(NativeError::new(RDKafkaErrorCode::Fail, "unexpected event"));
        }
        let mut n = 0usize;
        let groups = rd::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut n);
        group_partitions(groups, n)
    }
}

/// Sets committed offsets of `group` (the broker refuses while the group has members).
/// Per-partition failures come back in the result.
pub fn alter_group_offsets(
    admin: &Admin,
    group: &str,
    offsets: &[(String, i32, i64)],
    timeout: Duration,
) -> Result<Vec<PartitionOffset>> {
    retry_while_coordinator_busy(timeout, |t| {
        alter_group_offsets_once(admin, group, offsets, t)
    })
}

fn alter_group_offsets_once(
    admin: &Admin,
    group: &str,
    offsets: &[(String, i32, i64)],
    timeout: Duration,
) -> Result<Vec<PartitionOffset>> {
    let call = Call::new(
        admin,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS,
        timeout,
    )?;
    let g = cstring("group id", group)?;
    let list = PartitionList::new(offsets)?;
    struct Request(*mut rd::rd_kafka_AlterConsumerGroupOffsets_t);
    impl Drop for Request {
        fn drop(&mut self) {
            // SAFETY: allocated below, destroyed once.
            unsafe { rd::rd_kafka_AlterConsumerGroupOffsets_destroy(self.0) }
        }
    }
    // SAFETY: valid group name and list, both copied by librdkafka.
    let mut request =
        Request(unsafe { rd::rd_kafka_AlterConsumerGroupOffsets_new(g.as_ptr(), list.0) });
    // SAFETY: one valid request; options and queue from `call`.
    unsafe {
        rd::rd_kafka_AlterConsumerGroupOffsets(
            admin.rk(),
            &mut request.0,
            1,
            call.options,
            call.queue,
        )
    };
    let ev = call.wait()?;
    // SAFETY: the event is an AlterConsumerGroupOffsets result.
    unsafe {
        let result = rd::rd_kafka_event_AlterConsumerGroupOffsets_result(ev.0);
        if result.is_null() {
            return Err(NativeError::new(RDKafkaErrorCode::Fail, "unexpected event"));
        }
        let mut n = 0usize;
        let groups = rd::rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &mut n);
        group_partitions(groups, n)
    }
}

/// `ListOffsets` spec: the earliest offset.
pub const EARLIEST: i64 = -2;
/// `ListOffsets` spec: the latest offset (the high watermark).
pub const LATEST: i64 = -1;

/// Offsets of many partitions in one request: `spec` is EARLIEST, LATEST or a timestamp in
/// milliseconds (then: the first offset whose timestamp is at or after it, -1 if none).
pub fn list_offsets(
    admin: &Admin,
    partitions: &[(String, i32)],
    spec: i64,
    timeout: Duration,
) -> Result<Vec<PartitionOffset>> {
    if partitions.is_empty() {
        return Ok(Vec::new());
    }
    let call = Call::new(
        admin,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS,
        timeout,
    )?;
    let items: Vec<(String, i32, i64)> = partitions
        .iter()
        .map(|(t, p)| (t.clone(), *p, spec))
        .collect();
    let list = PartitionList::new(&items)?;
    // SAFETY: a valid list (copied by librdkafka); options and queue from `call`.
    unsafe { rd::rd_kafka_ListOffsets(admin.rk(), list.0, call.options, call.queue) };
    let ev = call.wait()?;
    // SAFETY: the event is a ListOffsets result; its infos live with it.
    unsafe {
        let result = rd::rd_kafka_event_ListOffsets_result(ev.0);
        if result.is_null() {
            return Err(NativeError::new(RDKafkaErrorCode::Fail, "unexpected event"));
        }
        let mut n = 0usize;
        let infos = rd::rd_kafka_ListOffsets_result_infos(result, &mut n);
        let mut out = Vec::with_capacity(n);
        for info in slice(infos, n) {
            let tp = rd::rd_kafka_ListOffsetsResultInfo_topic_partition(*info);
            if tp.is_null() {
                continue;
            }
            let tp = &*tp;
            out.push(PartitionOffset {
                topic: text(tp.topic),
                partition: tp.partition,
                offset: tp.offset,
                error: (tp.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
                    .then(|| tp.err.into()),
            });
        }
        Ok(out)
    }
}

/// The headers of a consumed message. (rdkafka's own accessor panics on a header name that
/// is not UTF-8, which another client may well have written; names are read lossily here.)
pub fn message_headers(msg: &rdkafka::message::BorrowedMessage<'_>) -> Vec<(String, Vec<u8>)> {
    let mut hdrs: *mut rd::rd_kafka_headers_t = ptr::null_mut();
    // SAFETY: the message is alive for the borrow; the headers belong to it.
    let err = unsafe { rd::rd_kafka_message_headers(msg.ptr(), &mut hdrs) };
    if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || hdrs.is_null() {
        return Vec::new();
    }
    // SAFETY: hdrs is valid while the message is; name and value point into it.
    unsafe {
        let n = rd::rd_kafka_header_cnt(hdrs);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let mut name: *const c_char = ptr::null();
            let mut value: *const std::ffi::c_void = ptr::null();
            let mut size = 0usize;
            let e = rd::rd_kafka_header_get_all(hdrs, i, &mut name, &mut value, &mut size);
            if e != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                break;
            }
            let bytes = if value.is_null() || size == 0 {
                Vec::new()
            } else {
                std::slice::from_raw_parts(value.cast::<u8>(), size).to_vec()
            };
            out.push((text(name), bytes));
        }
        out
    }
}
