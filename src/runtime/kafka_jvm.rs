//! Apache Kafka as a JVM that lkm launches itself: what a distribution must hold, which Java
//! runs it, and the command lines of the storage formatter and the broker.
//!
//! Only `<kafka_home>/libs/*.jar` is used, so an unpacked tarball and the jar-only layout of
//! `scripts/assemble-kafka` work alike; no shell script of the distribution runs. lkm decides
//! the JVM flags (heap, GC, logging) and writes each broker's log4j2 configuration.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

/// Major versions of Apache Kafka lkm runs.
pub const SUPPORTED_MAJOR: u32 = 4;
/// Kafka 4 needs Java 17 or newer.
pub const MIN_JAVA: u32 = 17;
/// Heaps below this get the serial collector (G1 pays for itself on bigger heaps only).
const SERIAL_GC_BELOW_MB: u64 = 1024;
/// Heap of a broker whose cluster names none (what Kafka's start script gives).
const DEFAULT_HEAP: &str = "1G";
/// How long `java -version` may take.
const JAVA_PROBE_TIMEOUT: Duration = Duration::from_secs(20);
pub const BROKER_MAIN: &str = "kafka.Kafka";
pub const STORAGE_TOOL_MAIN: &str = "kafka.tools.StorageTool";
pub const LOG4J_FILE: &str = "log4j2.properties";

/// Jars (by artifact name) without which a broker cannot start or says nothing when it fails.
const REQUIRED_JARS: &[&str] = &[
    "kafka-clients",
    "kafka-server",
    "kafka-server-common",
    "kafka-metadata",
    "kafka-raft",
    "kafka-storage",
    "kafka-group-coordinator",
    "kafka-transaction-coordinator",
    "scala-library",
    "log4j-core",
];

/// A Kafka distribution that passed the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Distribution {
    pub home: PathBuf,
    /// "4.1.0", from `libs/kafka_2.13-<version>.jar`.
    pub version: String,
}

impl Distribution {
    fn classpath(&self) -> String {
        format!("{}/libs/*", self.home.display())
    }
}

fn invalid_home(home: &Path, why: impl std::fmt::Display) -> Error {
    Error::precondition(
        "KAFKA_HOME_INVALID",
        format!(
            "kafka_home '{}' is not a usable Apache Kafka distribution: {why}; point kafka_home (KAFKA_HOME, LKM_KAFKA_HOME) at an unpacked Apache Kafka {SUPPORTED_MAJOR}.x tarball or at the directory scripts/assemble-kafka prints",
            home.display()
        ),
    )
}

/// Checks `configured` (kafka_home) and reads its version. No side effects.
pub fn distribution(configured: &str) -> Result<Distribution> {
    let configured = configured.trim();
    if configured.is_empty() {
        return Err(Error::precondition(
            "KAFKA_HOME_NOT_SET",
            "the process runtime runs Apache Kafka from a local distribution and none is configured: set KAFKA_HOME (or kafka_home in lkm.toml, LKM_KAFKA_HOME) to an unpacked Apache Kafka or to the directory scripts/assemble-kafka prints (it assembles one from Maven Central), or use the tansu engine (template tansu-dev) or the Docker runtime",
        ));
    }
    let home = std::path::absolute(configured).unwrap_or_else(|_| PathBuf::from(configured));
    match std::fs::metadata(&home) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(invalid_home(&home, "it is not a directory")),
        Err(_) => return Err(invalid_home(&home, "it does not exist")),
    }
    let libs = home.join("libs");
    let entries = std::fs::read_dir(&libs)
        .map_err(|_| invalid_home(&home, "it has no libs/ directory (where the jars belong)"))?;
    let jars: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jar"))
        .collect();
    let versions: Vec<&str> = jars.iter().filter_map(|n| core_jar_version(n)).collect();
    let version = match versions.as_slice() {
        [] => {
            return Err(invalid_home(
                &home,
                "libs/ holds no kafka_2.13-<version>.jar (the broker)",
            ));
        }
        [one] => one.to_string(),
        many => {
            return Err(invalid_home(
                &home,
                format!("libs/ holds several brokers ({})", many.join(", ")),
            ));
        }
    };
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    if major != Some(SUPPORTED_MAJOR) {
        return Err(Error::precondition(
            "KAFKA_VERSION_UNSUPPORTED",
            format!(
                "kafka_home '{}' holds Apache Kafka {version} (libs/kafka_2.13-{version}.jar); lkm runs Apache Kafka {SUPPORTED_MAJOR}.x (scripts/assemble-kafka assembles 4.1.0)",
                home.display()
            ),
        ));
    }
    let missing: Vec<&str> = REQUIRED_JARS
        .iter()
        .copied()
        .filter(|artifact| !jars.iter().any(|j| is_artifact(j, artifact)))
        .collect();
    if !missing.is_empty() {
        return Err(invalid_home(
            &home,
            format!(
                "libs/ lacks {} (half-assembled?)",
                missing
                    .iter()
                    .map(|a| format!("{a}-*.jar"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(Distribution { home, version })
}

/// The version in `kafka_2.13-4.1.0.jar` (not in its -test, -sources or -javadoc jars).
fn core_jar_version(file: &str) -> Option<&str> {
    let v = file.strip_prefix("kafka_2.13-")?.strip_suffix(".jar")?;
    let plain = v.split('.').count() >= 3
        && v.chars().next().is_some_and(|c| c.is_ascii_digit())
        && !["-test", "-sources", "-javadoc", "-scaladoc"]
            .iter()
            .any(|s| v.ends_with(s));
    plain.then_some(v)
}

/// Whether `file` is a jar of `artifact` ("kafka-server" matches kafka-server-4.1.0.jar, not
/// kafka-server-common-4.1.0.jar).
fn is_artifact(file: &str, artifact: &str) -> bool {
    file.strip_prefix(artifact)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// A Java runtime that can run Kafka.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Java {
    pub path: PathBuf,
    pub major: u32,
}

/// Java binaries probed so far: their modification time then, and their major version.
type ProbedJavas = HashMap<PathBuf, (Option<SystemTime>, u32)>;

/// `$JAVA_HOME/bin/java` or `java` on PATH, checked to be Java 17 or newer. The version is
/// probed once per binary (and again when the binary changes).
pub async fn java() -> Result<Java> {
    let path = match std::env::var_os("JAVA_HOME").filter(|h| !h.is_empty()) {
        Some(h) => Some(PathBuf::from(h).join("bin").join("java")).filter(|p| is_executable(p)),
        None => super::process::find_on_path("java"),
    };
    let Some(path) = path else {
        return Err(Error::precondition(
            "JAVA_NOT_FOUND",
            "Apache Kafka needs Java: no `java` on PATH and no JAVA_HOME/bin/java; install a Java runtime (17 or newer), or use the tansu engine (template tansu-dev) or the Docker runtime",
        ));
    };
    static PROBED: Mutex<Option<ProbedJavas>> = Mutex::new(None);
    let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let cached = PROBED
        .lock()
        .ok()
        .and_then(|m| m.as_ref()?.get(&path).copied())
        .filter(|(at, _)| *at == modified)
        .map(|(_, major)| major);
    let major = match cached {
        Some(m) => m,
        None => {
            let m = probe_java(&path).await?;
            if let Ok(mut map) = PROBED.lock() {
                map.get_or_insert_with(HashMap::new)
                    .insert(path.clone(), (modified, m));
            }
            m
        }
    };
    if major < MIN_JAVA {
        return Err(Error::precondition(
            "JAVA_TOO_OLD",
            format!(
                "Apache Kafka {SUPPORTED_MAJOR}.x needs Java {MIN_JAVA} or newer, and {} is Java {major}; set JAVA_HOME to a newer one",
                path.display()
            ),
        ));
    }
    Ok(Java { path, major })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs `java -version` and reads the major version it prints.
async fn probe_java(path: &Path) -> Result<u32> {
    let failed = |why: String| {
        Error::precondition(
            "JAVA_NOT_RUNNABLE",
            format!("{} does not run ({why})", path.display()),
        )
    };
    let run = tokio::process::Command::new(path)
        .arg("-version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(JAVA_PROBE_TIMEOUT, run).await {
        Err(_) => return Err(failed("`-version` gave no answer".into())),
        Ok(Err(e)) => return Err(failed(e.to_string())),
        Ok(Ok(out)) => out,
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    if !out.status.success() {
        return Err(failed(format!("`-version` failed: {}", text.trim())));
    }
    java_major(&text).ok_or_else(|| failed(format!("cannot read its version from {text:?}")))
}

/// The major version in `java -version` output: `openjdk version "17.0.15"` → 17,
/// `java version "1.8.0_292"` → 8.
fn java_major(text: &str) -> Option<u32> {
    let quoted = text.split('"').nth(1)?;
    let mut parts = quoted.split(|c: char| !c.is_ascii_digit());
    match parts.next()?.parse::<u32>().ok()? {
        1 => parts.next()?.parse().ok(),
        major => Some(major),
    }
}

/// What a broker's JVM gets besides the classpath.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JvmSettings {
    /// "512M"; None: Kafka's default (1G).
    pub heap: Option<String>,
    /// Remote JMX on this port (loopback or the bind address, no authentication: local use).
    pub jmx: Option<(String, u16)>,
    /// Flags from lkm's configuration (`kafka_jvm_options`), last so they win.
    pub extra: Vec<String>,
}

/// The broker of `dir`: `java <flags> -cp <home>/libs/* kafka.Kafka <properties>`.
pub fn broker_command(
    java: &Java,
    dist: &Distribution,
    dir: &Path,
    properties: &Path,
    settings: &JvmSettings,
) -> Result<(PathBuf, Vec<String>)> {
    let heap = settings.heap.as_deref().unwrap_or(DEFAULT_HEAP);
    crate::core::validate::heap_size("kafka_config.heap_size", heap)?;
    let mut args = vec![format!("-Xms{heap}"), format!("-Xmx{heap}")];
    if crate::core::validate::heap_mb(heap).unwrap_or(0) < SERIAL_GC_BELOW_MB {
        args.push("-XX:+UseSerialGC".into());
    } else {
        // Kafka's own choice for its server (kafka-run-class.sh).
        args.extend(
            [
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20",
                "-XX:InitiatingHeapOccupancyPercent=35",
                "-XX:+ExplicitGCInvokesConcurrent",
            ]
            .map(String::from),
        );
    }
    // A broker out of memory is better gone (liveness notices) than half-alive.
    args.push("-XX:+ExitOnOutOfMemoryError".into());
    args.extend(common_flags(dir));
    if let Some((host, port)) = &settings.jmx {
        args.extend([
            "-Dcom.sun.management.jmxremote".into(),
            "-Dcom.sun.management.jmxremote.authenticate=false".into(),
            "-Dcom.sun.management.jmxremote.ssl=false".into(),
            format!("-Dcom.sun.management.jmxremote.port={port}"),
            format!("-Dcom.sun.management.jmxremote.rmi.port={port}"),
            format!("-Dcom.sun.management.jmxremote.host={host}"),
            format!("-Djava.rmi.server.hostname={host}"),
        ]);
    }
    args.extend(settings.extra.iter().cloned());
    args.extend([
        "-cp".into(),
        dist.classpath(),
        BROKER_MAIN.into(),
        properties.display().to_string(),
    ]);
    Ok((java.path.clone(), args))
}

/// Formats the broker's storage once (`--ignore-formatted` makes a second run a no-op). The
/// quorum is static (`controller.quorum.voters`), so no initial-controller flag is given.
pub fn format_command(
    java: &Java,
    dist: &Distribution,
    dir: &Path,
    kraft_cluster_id: &str,
    properties: &Path,
) -> (PathBuf, Vec<String>) {
    // A short-lived tool: a small heap and the quick-starting compiler only.
    let mut args: Vec<String> = ["-Xmx256M", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
        .map(String::from)
        .to_vec();
    args.extend(common_flags(dir));
    args.extend([
        "-cp".into(),
        dist.classpath(),
        STORAGE_TOOL_MAIN.into(),
        "format".into(),
        "-t".into(),
        kraft_cluster_id.into(),
        "-c".into(),
        properties.display().to_string(),
        "--ignore-formatted".into(),
    ]);
    (java.path.clone(), args)
}

fn common_flags(dir: &Path) -> Vec<String> {
    vec![
        "-Djava.awt.headless=true".into(),
        format!(
            "-Dlog4j2.configurationFile={}",
            dir.join(LOG4J_FILE).display()
        ),
        format!("-Dkafka.logs.dir={}", dir.join("logs").display()),
    ]
}

/// The broker's log4j2 configuration: everything from INFO up in `logs/server.log` (rolled at
/// 10 MB, five kept), warnings and errors also on stdout, which lkm appends to `broker.log`
/// (so a failed start quotes what went wrong, and the log stays small).
pub fn log4j_config() -> &'static str {
    "# Generated by lkm at every start; edits are overwritten.\n\
     status = warn\n\
     appender.out.type = Console\n\
     appender.out.name = STDOUT\n\
     appender.out.layout.type = PatternLayout\n\
     appender.out.layout.pattern = [%d] %p %m (%c)%n\n\
     appender.out.filter.level.type = ThresholdFilter\n\
     appender.out.filter.level.level = warn\n\
     appender.file.type = RollingFile\n\
     appender.file.name = SERVER\n\
     appender.file.fileName = ${sys:kafka.logs.dir}/server.log\n\
     appender.file.filePattern = ${sys:kafka.logs.dir}/server.log.%i\n\
     appender.file.layout.type = PatternLayout\n\
     appender.file.layout.pattern = [%d] %p %m (%c)%n\n\
     appender.file.policies.type = Policies\n\
     appender.file.policies.size.type = SizeBasedTriggeringPolicy\n\
     appender.file.policies.size.size = 10MB\n\
     appender.file.strategy.type = DefaultRolloverStrategy\n\
     appender.file.strategy.max = 5\n\
     rootLogger.level = info\n\
     rootLogger.appenderRef.out.ref = STDOUT\n\
     rootLogger.appenderRef.file.ref = SERVER\n\
     logger.request.name = kafka.request.logger\n\
     logger.request.level = warn\n"
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn layout(jars: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        write_jars(d.path(), jars);
        d
    }

    fn write_jars(home: &Path, jars: &[&str]) {
        std::fs::create_dir_all(home.join("libs")).unwrap();
        for j in jars {
            std::fs::write(home.join("libs").join(j), b"").unwrap();
        }
    }

    /// A distribution that passes the checks (empty jars: it cannot run).
    pub fn fake_layout(home: &Path) {
        write_jars(home, GOOD);
    }

    const GOOD: &[&str] = &[
        "kafka_2.13-4.1.0.jar",
        "kafka-clients-4.1.0.jar",
        "kafka-server-4.1.0.jar",
        "kafka-server-common-4.1.0.jar",
        "kafka-metadata-4.1.0.jar",
        "kafka-raft-4.1.0.jar",
        "kafka-storage-4.1.0.jar",
        "kafka-storage-api-4.1.0.jar",
        "kafka-group-coordinator-4.1.0.jar",
        "kafka-transaction-coordinator-4.1.0.jar",
        "scala-library-2.13.16.jar",
        "log4j-core-2.24.3.jar",
    ];

    #[test]
    fn a_complete_distribution_is_accepted() {
        let d = layout(GOOD);
        let dist = distribution(d.path().to_str().unwrap()).unwrap();
        assert_eq!(dist.version, "4.1.0");
        assert_eq!(dist.classpath(), format!("{}/libs/*", d.path().display()));
    }

    #[test]
    fn bad_homes_say_what_is_wrong() {
        let e = distribution("  ").unwrap_err();
        assert_eq!(e.reason(), "KAFKA_HOME_NOT_SET");
        assert!(e.to_string().contains("assemble-kafka"), "{e}");

        let e = distribution("/nonexistent/kafka").unwrap_err();
        assert_eq!(e.reason(), "KAFKA_HOME_INVALID");
        assert!(e.to_string().contains("does not exist"), "{e}");

        let empty = tempfile::tempdir().unwrap();
        let e = distribution(empty.path().to_str().unwrap()).unwrap_err();
        assert_eq!(e.reason(), "KAFKA_HOME_INVALID");
        assert!(e.to_string().contains("no libs/"), "{e}");

        let no_broker = layout(&GOOD[1..]);
        let e = distribution(no_broker.path().to_str().unwrap()).unwrap_err();
        assert!(e.to_string().contains("kafka_2.13-<version>.jar"), "{e}");

        let half: Vec<&str> = GOOD
            .iter()
            .copied()
            .filter(|j| !j.starts_with("kafka-server-4") && !j.starts_with("log4j"))
            .collect();
        let e = distribution(layout(&half).path().to_str().unwrap()).unwrap_err();
        assert_eq!(e.reason(), "KAFKA_HOME_INVALID");
        assert!(
            e.to_string()
                .contains("kafka-server-*.jar, log4j-core-*.jar"),
            "{e}"
        );

        let old = layout(&["kafka_2.13-3.9.1.jar", "kafka-clients-3.9.1.jar"]);
        let e = distribution(old.path().to_str().unwrap()).unwrap_err();
        assert_eq!(e.reason(), "KAFKA_VERSION_UNSUPPORTED");
        assert!(e.to_string().contains("3.9.1"), "{e}");

        let mut two = GOOD.to_vec();
        two.push("kafka_2.13-4.0.0.jar");
        let e = distribution(layout(&two).path().to_str().unwrap()).unwrap_err();
        assert!(e.to_string().contains("several"), "{e}");
    }

    #[test]
    fn jar_names() {
        assert_eq!(core_jar_version("kafka_2.13-4.1.0.jar"), Some("4.1.0"));
        assert_eq!(core_jar_version("kafka_2.13-4.1.0-test.jar"), None);
        assert_eq!(core_jar_version("kafka_2.13-4.1.0-sources.jar"), None);
        assert_eq!(core_jar_version("kafka-clients-4.1.0.jar"), None);
        assert!(is_artifact("kafka-server-4.1.0.jar", "kafka-server"));
        assert!(!is_artifact(
            "kafka-server-common-4.1.0.jar",
            "kafka-server"
        ));
        assert!(is_artifact("log4j-core-2.24.3.jar", "log4j-core"));
    }

    #[test]
    fn java_versions() {
        assert_eq!(
            java_major("openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime"),
            Some(17)
        );
        assert_eq!(java_major("java version \"1.8.0_292\""), Some(8));
        assert_eq!(java_major("openjdk version \"25\" 2025-09-16"), Some(25));
        assert_eq!(java_major("garbage"), None);
    }

    #[test]
    fn command_lines() {
        let java = Java {
            path: "/usr/bin/java".into(),
            major: 17,
        };
        let dist = Distribution {
            home: "/opt/kafka".into(),
            version: "4.1.0".into(),
        };
        let dir = Path::new("/d/broker-1");
        let props = dir.join("server.properties");
        let (program, args) = broker_command(
            &java,
            &dist,
            dir,
            &props,
            &JvmSettings {
                heap: Some("256M".into()),
                jmx: Some(("127.0.0.1".into(), 9999)),
                extra: vec!["-XX:TieredStopAtLevel=1".into()],
            },
        )
        .unwrap();
        assert_eq!(program, Path::new("/usr/bin/java"));
        assert_eq!(&args[..3], ["-Xms256M", "-Xmx256M", "-XX:+UseSerialGC"]);
        assert!(args.contains(&"-Dlog4j2.configurationFile=/d/broker-1/log4j2.properties".into()));
        assert!(args.contains(&"-Dkafka.logs.dir=/d/broker-1/logs".into()));
        assert!(args.contains(&"-Dcom.sun.management.jmxremote.port=9999".into()));
        let tail = &args[args.len() - 5..];
        assert_eq!(
            tail,
            [
                "-XX:TieredStopAtLevel=1",
                "-cp",
                "/opt/kafka/libs/*",
                "kafka.Kafka",
                "/d/broker-1/server.properties"
            ]
        );

        let (_, big) = broker_command(&java, &dist, dir, &props, &JvmSettings::default()).unwrap();
        assert_eq!(&big[..3], ["-Xms1G", "-Xmx1G", "-XX:+UseG1GC"]);
        assert!(!big.iter().any(|a| a.contains("jmxremote")));

        let bad = JvmSettings {
            heap: Some("1G -XX:+Evil".into()),
            ..Default::default()
        };
        assert!(broker_command(&java, &dist, dir, &props, &bad).is_err());

        let (_, fmt) = format_command(&java, &dist, dir, "AZDW-H5MelGdPm8MK4oeEQ", &props);
        let tail = &fmt[fmt.len() - 8..];
        assert_eq!(
            tail,
            [
                "/opt/kafka/libs/*",
                "kafka.tools.StorageTool",
                "format",
                "-t",
                "AZDW-H5MelGdPm8MK4oeEQ",
                "-c",
                "/d/broker-1/server.properties",
                "--ignore-formatted",
            ]
            .map(String::from)
        );
    }
}
