//! The registry: clusters, port claims, user templates and operations, persisted with sqlx in
//! SQLite (embedded, the default) or PostgreSQL. Each resource is stored as encoded protobuf
//! plus the columns that are filtered on or must be unique; the database enforces that a
//! cluster name and a host port belong to one cluster only.

mod file_guard;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::core::ports;
use crate::core::time::millis;
use crate::error::{Error, Result};
use crate::pb::{AuditEvent, Cluster, ClusterTemplate, Grant, Operation, Token};
use file_guard::FileGuard;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Registry {
    pool: AnyPool,
    backend: Backend,
    /// The SQLite file, watched for removal or replacement.
    file: Option<Arc<FileGuard>>,
    /// Why the database takes no writes, when it is read-only.
    read_only: Option<Arc<str>>,
    /// PostgreSQL: when its connection last failed (see `reachable`).
    outage: Option<Arc<std::sync::Mutex<Option<std::time::Instant>>>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("backend", &self.backend)
            .finish()
    }
}

fn db(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::PoolTimedOut => {
            Error::Unavailable("the registry database does not answer".into())
        }
        e if is_connection_lost(&e) => {
            tracing::warn!(error = %e, "the registry database connection failed");
            Error::Unavailable(
                "the registry database is unreachable (its connection failed); retry shortly"
                    .into(),
            )
        }
        e if is_read_only(&e) => Error::precondition(
            READ_ONLY_REASON,
            "the registry database is read-only, so lkm cannot record changes; make it writable and retry",
        ),
        other => Error::internal(format!("registry: {other}")),
    }
}

const READ_ONLY_REASON: &str = "REGISTRY_READ_ONLY";

/// How long a call waits for a database connection before it is UNAVAILABLE.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long calls fail at once after one found the database server unreachable.
const OUTAGE_HOLD: Duration = Duration::from_secs(1);

/// A failure of the database connection rather than of the statement: the server went away
/// (restart, crash), refuses connections for now, or has too many; SQLite busy past its
/// timeout. The pool replaces such connections, so the next call may well succeed.
fn is_connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLITE_BUSY
                code.parse::<i32>().is_ok_and(|c| c & 0xff == 5)
            } else {
                // connection_exception (08…), admin_shutdown, crash_shutdown,
                // cannot_connect_now, too_many_connections
                code.starts_with("08") || ["57P01", "57P02", "57P03", "53300"].contains(&&*code)
            }
        }
        _ => false,
    }
}

/// A write refused because the database is read-only: SQLite's SQLITE_READONLY (and its
/// extended codes), PostgreSQL's read_only_sql_transaction (a standby, or
/// default_transaction_read_only).
fn is_read_only(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(d) = e else {
        return false;
    };
    let code = d.code().unwrap_or_default();
    if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        code.parse::<i32>().is_ok_and(|c| c & 0xff == 8)
    } else {
        code == "25006"
    }
}

fn decode<M: Message + Default>(row: &AnyRow) -> Result<M> {
    let body: Vec<u8> = row.try_get("body").map_err(db)?;
    M::decode(body.as_slice())
        .map_err(|e| Error::internal(format!("registry: corrupt record: {e}")))
}

fn unique_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Some(d.message().to_string()),
        _ => None,
    }
}

/// The SQLite URL of a database file.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// The file of a SQLite URL (None for an in-memory database).
fn sqlite_file(url: &str) -> Result<Option<PathBuf>> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::invalid("database_url", format!("cannot be parsed: {e}")))?;
    let path = options.get_filename();
    Ok((!path.as_os_str().is_empty() && path != Path::new(":memory:")).then(|| path.to_path_buf()))
}

/// Whether the database takes writes: a table created in a transaction that is rolled back
/// (SQLite opens a file it may not write read-only without saying so), or PostgreSQL's
/// `transaction_read_only`.
async fn accepts_writes(pool: &AnyPool, backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => {
            let Ok(mut tx) = pool.begin().await else {
                return false;
            };
            let created = tx.execute("CREATE TABLE lkm_write_probe (x BIGINT)").await;
            let _ = tx.rollback().await;
            created.is_ok()
        }
        Backend::Postgres => sqlx::query("SHOW transaction_read_only")
            .fetch_one(pool)
            .await
            .ok()
            .and_then(|r| r.try_get::<String, _>(0).ok())
            .is_some_and(|v| v != "on"),
    }
}

/// Whether every migration lkm has was applied.
async fn migrations_applied(pool: &AnyPool, migrator: &sqlx::migrate::Migrator) -> bool {
    let Ok(rows) = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await
    else {
        return false;
    };
    let applied: HashSet<i64> = rows
        .iter()
        .filter_map(|r| r.try_get::<i64, _>("version").ok())
        .collect();
    migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .all(|m| applied.contains(&m.version))
}

impl Registry {
    /// Connects and applies the embedded migrations. `url` is `sqlite://PATH` or
    /// `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::invalid(
                "database_url",
                "must start with sqlite:// or postgres://",
            ));
        };
        // Validate the URL before connecting so a typo is reported as such (without echoing
        // the URL, which may hold a password).
        sqlx::any::AnyConnectOptions::from_str(url).map_err(|e| {
            Error::invalid(
                "database_url",
                format!("cannot be parsed: {}", redact(&e.to_string(), url)),
            )
        })?;
        let mut options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            // Bounded, so callers learn of a database that does not answer instead of waiting.
            .acquire_timeout(ACQUIRE_TIMEOUT);
        if backend == Backend::Sqlite {
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 15000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        }
        let cannot_open = |e: sqlx::Error| {
            Error::Unavailable(format!(
                "cannot open the registry database: {}",
                redact(&e.to_string(), url)
            ))
        };
        // The file is created (when the URL asks for that) once, now: connections the pool
        // opens later must not create an empty registry where the file went missing.
        let pool_url = match backend {
            Backend::Sqlite if url.contains("mode=rwc") => {
                use sqlx::Connection;
                sqlx::AnyConnection::connect(url)
                    .await
                    .map_err(cannot_open)?
                    .close()
                    .await
                    .map_err(cannot_open)?;
                url.replacen("mode=rwc", "mode=rw", 1)
            }
            _ => url.to_string(),
        };
        let pool = options.connect(&pool_url).await.map_err(cannot_open)?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let writes = accepts_writes(&pool, backend).await;
        // A read-only database is served as it is when its schema is current (the migrator
        // would try to write even then).
        if writes || !migrations_applied(&pool, migrator).await {
            migrator
                .run(&pool)
                .await
                .map_err(|e| Error::internal(format!("registry migrations failed: {e}")))?;
        }
        let file = match backend {
            Backend::Sqlite => sqlite_file(url)?.map(|p| FileGuard::new(&p)).transpose()?,
            Backend::Postgres => None,
        };
        let read_only = (!writes).then(|| {
            let what = file.as_ref().map_or("the registry database".to_string(), |f| {
                format!("the registry database {}", f.path().display())
            });
            tracing::warn!("{what} is read-only: lkm answers reads and refuses every change");
            Arc::from(format!(
                "{what} is read-only, so lkm cannot record changes; make it writable and restart lkm"
            ))
        });
        Ok(Registry {
            pool,
            backend,
            file: file.map(Arc::new),
            read_only,
            outage: (backend == Backend::Postgres).then(Arc::default),
        })
    }

    /// Fails at once, for `OUTAGE_HOLD` after a call found the database server unreachable,
    /// instead of letting every call wait `ACQUIRE_TIMEOUT` for a connection (calls queued
    /// behind one another would wait that many times over). The first call after the hold
    /// tries again.
    /// Also fails (UNAVAILABLE) while the SQLite file is not the one lkm opened: what lkm
    /// would read or write is not the registry at that path.
    fn reachable(&self) -> Result<()> {
        if let Some(f) = &self.file {
            f.check()?;
        }
        let Some(outage) = &self.outage else {
            return Ok(());
        };
        let since = *outage.lock().unwrap_or_else(|p| p.into_inner());
        match since {
            Some(t) if t.elapsed() < OUTAGE_HOLD => Err(Error::Unavailable(
                "the registry database is unreachable; retry shortly".into(),
            )),
            _ => Ok(()),
        }
    }

    /// The error of a failed statement; a lost connection starts an outage (`reachable`).
    fn err(&self, e: sqlx::Error) -> Error {
        if let Some(outage) = &self.outage
            && (matches!(e, sqlx::Error::PoolTimedOut) || is_connection_lost(&e))
        {
            *outage.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
        }
        db(e)
    }

    /// Fails when the database is read-only. Every write checks this first (after
    /// `reachable`).
    fn writable(&self) -> Result<()> {
        match &self.read_only {
            Some(why) => Err(Error::precondition(READ_ONLY_REASON, why.to_string())),
            None => Ok(()),
        }
    }

    /// Checks (and logs, once) that the registry file is still the one lkm opened; the server
    /// calls this every second.
    pub fn probe_file(&self) {
        if let Some(f) = &self.file {
            let _ = f.check();
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- clusters -------------------------------------------------------------------------

    /// Inserts a cluster and claims its ports, atomically. A taken name gives
    /// `ClusterAlreadyExists`; a port claimed meanwhile by another cluster gives
    /// `PortAllocation` (the caller picks again).
    pub async fn insert_cluster(&self, c: &Cluster) -> Result<()> {
        self.reachable()?;
        self.writable()?;
        let mut tx = self.pool.begin().await.map_err(|e| self.err(e))?;
        let inserted = sqlx::query(
            "INSERT INTO clusters (id, name, status, environment, created_at_ms, body) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&c.id)
        .bind(&c.name)
        .bind(i64::from(c.status))
        .bind(&c.environment)
        .bind(millis(&c.created_at))
        .bind(c.encode_to_vec())
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            return Err(match unique_violation(&e) {
                Some(_) => Error::ClusterAlreadyExists(c.name.clone()),
                None => self.err(e),
            });
        }
        self.claim_ports(&mut tx, c).await?;
        tx.commit().await.map_err(|e| self.err(e))
    }

    async fn claim_ports(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        c: &Cluster,
    ) -> Result<()> {
        let Some(alloc) = &c.port_allocation else {
            return Ok(());
        };
        for (role, port) in ports::claims(alloc) {
            let res = sqlx::query(
                "INSERT INTO port_allocations (port, cluster_id, role) VALUES ($1, $2, $3)",
            )
            .bind(i64::from(port))
            .bind(&c.id)
            .bind(role.label())
            .execute(&mut **tx)
            .await;
            if let Err(e) = res {
                return Err(match unique_violation(&e) {
                    Some(_) => Error::PortAllocation(format!(
                        "port {port} was claimed by another cluster at the same time"
                    )),
                    None => self.err(e),
                });
            }
        }
        Ok(())
    }

    /// Finds a cluster by id or by name.
    pub async fn find_cluster(&self, id_or_name: &str) -> Result<Option<Cluster>> {
        self.reachable()?;
        let row = sqlx::query("SELECT body FROM clusters WHERE id = $1 OR name = $1")
            .bind(id_or_name)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        row.as_ref().map(decode).transpose()
    }

    /// Every cluster, oldest first.
    pub async fn list_clusters(&self) -> Result<Vec<Cluster>> {
        self.reachable()?;
        let rows = sqlx::query("SELECT body FROM clusters ORDER BY created_at_ms, id")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        rows.iter().map(decode).collect()
    }

    /// Saves a cluster that exists. With `reclaim_ports` its port claims are replaced by
    /// those of its (new) allocation, atomically.
    pub async fn save_cluster(&self, c: &Cluster, reclaim_ports: bool) -> Result<()> {
        self.reachable()?;
        self.writable()?;
        let mut tx = self.pool.begin().await.map_err(|e| self.err(e))?;
        let res = sqlx::query(
            "UPDATE clusters SET status = $2, environment = $3, body = $4 WHERE id = $1",
        )
        .bind(&c.id)
        .bind(i64::from(c.status))
        .bind(&c.environment)
        .bind(c.encode_to_vec())
        .execute(&mut *tx)
        .await
        .map_err(|e| self.err(e))?;
        if res.rows_affected() == 0 {
            return Err(Error::ClusterNotFound(c.name.clone()));
        }
        if reclaim_ports {
            sqlx::query("DELETE FROM port_allocations WHERE cluster_id = $1")
                .bind(&c.id)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.err(e))?;
            self.claim_ports(&mut tx, c).await?;
        }
        tx.commit().await.map_err(|e| self.err(e))
    }

    /// Deletes a cluster and releases its ports. False when it did not exist.
    pub async fn delete_cluster(&self, id: &str) -> Result<bool> {
        self.reachable()?;
        self.writable()?;
        let mut tx = self.pool.begin().await.map_err(|e| self.err(e))?;
        sqlx::query("DELETE FROM port_allocations WHERE cluster_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        let res = sqlx::query("DELETE FROM clusters WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        tx.commit().await.map_err(|e| self.err(e))?;
        Ok(res.rows_affected() > 0)
    }

    /// Every host port claimed by a cluster.
    pub async fn claimed_ports(&self) -> Result<HashSet<u16>> {
        self.reachable()?;
        let rows = sqlx::query("SELECT port FROM port_allocations")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| {
                let p: i64 = r.try_get("port").map_err(|e| self.err(e))?;
                u16::try_from(p).map_err(|_| Error::internal(format!("registry: bad port {p}")))
            })
            .collect()
    }

    pub async fn count_clusters(&self) -> Result<usize> {
        self.reachable()?;
        let row = sqlx::query("SELECT COUNT(*) AS n FROM clusters")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        let n: i64 = row.try_get("n").map_err(|e| self.err(e))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    // ---- templates ------------------------------------------------------------------------

    pub async fn insert_template(&self, t: &ClusterTemplate) -> Result<()> {
        self.reachable()?;
        self.writable()?;
        let res = sqlx::query(
            "INSERT INTO templates (id, category, created_at_ms, body) VALUES ($1, $2, $3, $4)",
        )
        .bind(&t.id)
        .bind(i64::from(t.category))
        .bind(millis(&t.created_at))
        .bind(t.encode_to_vec())
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if unique_violation(&e).is_some() => {
                Err(Error::TemplateAlreadyExists(t.id.clone()))
            }
            Err(e) => Err(self.err(e)),
        }
    }

    pub async fn get_template(&self, id: &str) -> Result<Option<ClusterTemplate>> {
        self.reachable()?;
        let row = sqlx::query("SELECT body FROM templates WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        row.as_ref().map(decode).transpose()
    }

    pub async fn list_templates(&self) -> Result<Vec<ClusterTemplate>> {
        self.reachable()?;
        let rows = sqlx::query("SELECT body FROM templates ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        rows.iter().map(decode).collect()
    }

    pub async fn save_template(&self, t: &ClusterTemplate) -> Result<()> {
        self.reachable()?;
        self.writable()?;
        let res = sqlx::query("UPDATE templates SET category = $2, body = $3 WHERE id = $1")
            .bind(&t.id)
            .bind(i64::from(t.category))
            .bind(t.encode_to_vec())
            .execute(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        if res.rows_affected() == 0 {
            return Err(Error::TemplateNotFound(t.id.clone()));
        }
        Ok(())
    }

    pub async fn delete_template(&self, id: &str) -> Result<bool> {
        self.reachable()?;
        self.writable()?;
        let res = sqlx::query("DELETE FROM templates WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        Ok(res.rows_affected() > 0)
    }

    // ---- operations -----------------------------------------------------------------------

    pub async fn insert_operation(&self, op: &Operation) -> Result<()> {
        self.reachable()?;
        self.writable()?;
        sqlx::query(
            "INSERT INTO operations (id, operation_type, status, source_cluster_id, created_at_ms, body) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&op.id)
        .bind(i64::from(op.operation_type))
        .bind(i64::from(op.status))
        .bind(&op.source_cluster_id)
        .bind(millis(&op.created_at))
        .bind(op.encode_to_vec())
        .execute(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub async fn get_operation(&self, id: &str) -> Result<Option<Operation>> {
        self.reachable()?;
        let row = sqlx::query("SELECT body FROM operations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        row.as_ref().map(decode).transpose()
    }

    /// Every operation, newest first.
    pub async fn list_operations(&self) -> Result<Vec<Operation>> {
        self.reachable()?;
        let rows = sqlx::query("SELECT body FROM operations ORDER BY created_at_ms DESC, id")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        rows.iter().map(decode).collect()
    }

    /// Operations in one of `statuses`.
    pub async fn operations_with_status(&self, statuses: &[i32]) -> Result<Vec<Operation>> {
        self.reachable()?;
        Ok(self
            .list_operations()
            .await?
            .into_iter()
            .filter(|o| statuses.contains(&o.status))
            .collect())
    }

    pub async fn save_operation(&self, op: &Operation) -> Result<()> {
        self.reachable()?;
        self.writable()?;
        let res = sqlx::query("UPDATE operations SET status = $2, body = $3 WHERE id = $1")
            .bind(&op.id)
            .bind(i64::from(op.status))
            .bind(op.encode_to_vec())
            .execute(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        if res.rows_affected() == 0 {
            return Err(Error::OperationNotFound(op.id.clone()));
        }
        Ok(())
    }
}

impl Registry {
    // ---- access: grants, tokens, audit -------------------------------------------------

    pub async fn insert_grant(&self, principal: &str, g: &Grant) -> Result<()> {
        self.reachable()?;
        self.writable()?;
        sqlx::query(
            "INSERT INTO grants (id, principal, created_at_ms, body) VALUES ($1, $2, $3, $4)",
        )
        .bind(&g.id)
        .bind(principal)
        .bind(millis(&g.created_at))
        .bind(g.encode_to_vec())
        .execute(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Grants of `principal`, oldest first.
    pub async fn grants_of(&self, principal: &str) -> Result<Vec<Grant>> {
        self.reachable()?;
        let rows =
            sqlx::query("SELECT body FROM grants WHERE principal = $1 ORDER BY created_at_ms, id")
                .bind(principal)
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
        rows.iter().map(decode).collect()
    }

    /// False when there was no such grant of that principal.
    pub async fn delete_grant(&self, principal: &str, id: &str) -> Result<bool> {
        self.reachable()?;
        self.writable()?;
        let res = sqlx::query("DELETE FROM grants WHERE principal = $1 AND id = $2")
            .bind(principal)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        Ok(res.rows_affected() > 0)
    }

    pub async fn insert_token(&self, t: &Token, secret_sha256: &str) -> Result<()> {
        self.reachable()?;
        self.writable()?;
        sqlx::query("INSERT INTO tokens (id, principal, secret_sha256, created_at_ms, body) VALUES ($1, $2, $3, $4, $5)")
            .bind(&t.id)
            .bind(&t.principal)
            .bind(secret_sha256)
            .bind(millis(&t.created_at))
            .bind(t.encode_to_vec())
            .execute(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// A token and the hash of its secret.
    pub async fn find_token(&self, id: &str) -> Result<Option<(Token, String)>> {
        self.reachable()?;
        let row = sqlx::query("SELECT body, secret_sha256 FROM tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        match row {
            None => Ok(None),
            Some(r) => {
                let hash: String = r.try_get("secret_sha256").map_err(|e| self.err(e))?;
                Ok(Some((decode(&r)?, hash)))
            }
        }
    }

    /// Tokens, newest first: of one principal, or of everybody.
    pub async fn list_tokens(&self, principal: Option<&str>) -> Result<Vec<Token>> {
        self.reachable()?;
        let rows =
            match principal {
                Some(p) => sqlx::query(
                    "SELECT body FROM tokens WHERE principal = $1 ORDER BY created_at_ms DESC, id",
                )
                .bind(p)
                .fetch_all(&self.pool)
                .await,
                None => {
                    sqlx::query("SELECT body FROM tokens ORDER BY created_at_ms DESC, id")
                        .fetch_all(&self.pool)
                        .await
                }
            }
            .map_err(|e| self.err(e))?;
        rows.iter().map(decode).collect()
    }

    pub async fn save_token(&self, t: &Token) -> Result<()> {
        self.reachable()?;
        self.writable()?;
        sqlx::query("UPDATE tokens SET body = $2 WHERE id = $1")
            .bind(&t.id)
            .bind(t.encode_to_vec())
            .execute(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Writes an audit event, or rewrites the one with its id when this has a higher count
    /// (a tally of repeated denials; writes of one tally may arrive out of order).
    pub async fn write_audit(&self, e: &AuditEvent) -> Result<()> {
        self.reachable()?;
        self.writable()?;
        sqlx::query(
            "INSERT INTO audit_events (id, time_ms, principal, cluster_ids, body, repeats) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, repeats = excluded.repeats \
             WHERE audit_events.repeats < excluded.repeats",
        )
        .bind(&e.id)
        .bind(millis(&e.time))
        .bind(&e.principal)
        .bind(e.cluster_ids.join(","))
        .bind(e.encode_to_vec())
        .bind(e.count.max(1))
        .execute(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Deletes the audit events older than `before_ms`; how many.
    pub async fn prune_audit(&self, before_ms: i64) -> Result<u64> {
        self.reachable()?;
        self.writable()?;
        let done = sqlx::query("DELETE FROM audit_events WHERE time_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        Ok(done.rows_affected())
    }

    /// Audit events in `[since_ms, until_ms]`, newest first, at most `limit`, starting after the
    /// event (time, id) `before` when given.
    pub async fn list_audit(
        &self,
        since_ms: i64,
        until_ms: i64,
        before: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        self.reachable()?;
        let (bt, bid) = before.unwrap_or((i64::MAX, String::new()));
        let rows = sqlx::query(
            "SELECT body FROM audit_events WHERE time_ms >= $1 AND time_ms <= $2 AND (time_ms < $3 OR (time_ms = $3 AND id > $4)) ORDER BY time_ms DESC, id LIMIT $5",
        )
        .bind(since_ms)
        .bind(until_ms)
        .bind(bt)
        .bind(bid)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        rows.iter().map(decode).collect()
    }
}

/// Removes the password of a database URL from a message.
fn redact(message: &str, url: &str) -> String {
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return message.to_string();
    };
    let Some((userinfo, _)) = rest.split_once('@') else {
        return message.to_string();
    };
    match userinfo.split_once(':') {
        Some((_, password)) if !password.is_empty() => message.replace(password, "***"),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        let url = "postgres://lkm:s3cret@localhost/db";
        assert_eq!(redact("failed for s3cret", url), "failed for ***");
        assert_eq!(redact("plain", "sqlite:///x.db"), "plain");
    }
}
