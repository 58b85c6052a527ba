//! Access control: who a caller is (bearer tokens, stored only as hashes), what they may do
//! on which clusters (grants of roles and actions, modelled on kafka-ui's roles), and the
//! audit log of changes and denials.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::pb::{AuditEvent, Cluster, ClusterSelector, Grant, Operation, Token};
use crate::registry::Registry;

use super::denial_tally::DenialTally;
use super::{time, validate};

pub const VIEW: &str = "view";
pub const OPERATE: &str = "operate";
pub const CONFIGURE: &str = "configure";
pub const TOPICS_READ: &str = "topics.read";
pub const TOPICS_WRITE: &str = "topics.write";
pub const MESSAGES_READ: &str = "messages.read";
pub const MESSAGES_PRODUCE: &str = "messages.produce";
pub const GROUPS_WRITE: &str = "groups.write";
pub const OPERATIONS_RUN: &str = "operations.run";
pub const ADMIN: &str = "admin";

/// Every action, in a stable order.
pub const ACTIONS: &[&str] = &[
    VIEW,
    OPERATE,
    CONFIGURE,
    TOPICS_READ,
    TOPICS_WRITE,
    MESSAGES_READ,
    MESSAGES_PRODUCE,
    GROUPS_WRITE,
    OPERATIONS_RUN,
    ADMIN,
];

/// The built-in roles.
pub fn role_actions(role: &str) -> Option<&'static [&'static str]> {
    Some(match role {
        "admin" => ACTIONS,
        "editor" => &[
            VIEW,
            OPERATE,
            CONFIGURE,
            TOPICS_READ,
            TOPICS_WRITE,
            MESSAGES_READ,
            MESSAGES_PRODUCE,
            GROUPS_WRITE,
            OPERATIONS_RUN,
        ],
        "operator" => &[VIEW, OPERATE, TOPICS_READ, MESSAGES_READ],
        "viewer" => &[VIEW, TOPICS_READ],
        _ => return None,
    })
}

/// The principal of the token file written on first start.
pub const ADMIN_PRINCIPAL: &str = "admin";
/// Name of the file (in the data directory) that holds the admin token.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";
const TOKEN_PREFIX: &str = "lkm_";

/// The caller of a request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub name: String,
    pub grants: Vec<Grant>,
    /// The token the call came with.
    pub token: Option<Token>,
    /// False when authentication is off (the caller may do everything).
    pub authenticated: bool,
}

impl Principal {
    /// Everything allowed: the principal of a server without authentication.
    pub fn unrestricted() -> Principal {
        Principal {
            name: "anonymous".into(),
            grants: vec![Grant {
                role: "admin".into(),
                ..Default::default()
            }],
            token: None,
            authenticated: false,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.grants
            .iter()
            .any(|g| grant_actions(g).contains(ADMIN) && selector_is_empty(g.clusters.as_ref()))
    }

    /// Whether the principal may perform `action` on `cluster`.
    pub fn may(&self, action: &str, cluster: &Cluster) -> bool {
        self.grants.iter().any(|g| {
            let actions = grant_actions(g);
            (actions.contains(action) || actions.contains(ADMIN))
                && selects(g.clusters.as_ref(), cluster)
        })
    }

    /// Whether the principal may see an operation: only when it may view every cluster the
    /// operation names (its source and its targets; `may_view` answers for one cluster id,
    /// false for a cluster that is gone), so an operation never shows a caller a cluster it
    /// may not see. An admin sees every operation.
    pub fn sees_operation(&self, op: &Operation, may_view: impl Fn(&str) -> bool) -> bool {
        self.is_admin()
            || std::iter::once(&op.source_cluster_id)
                .chain(&op.target_cluster_ids)
                .all(|id| may_view(id))
    }

    /// The actions the principal has on `cluster`.
    pub fn actions_on(&self, cluster: &Cluster) -> Vec<String> {
        ACTIONS
            .iter()
            .filter(|a| self.may(a, cluster))
            .map(|a| a.to_string())
            .collect()
    }
}

fn grant_actions(g: &Grant) -> BTreeSet<&str> {
    let mut set: BTreeSet<&str> = g.actions.iter().map(String::as_str).collect();
    if let Some(role) = role_actions(&g.role) {
        set.extend(role.iter().copied());
    }
    set
}

fn selector_is_empty(s: Option<&ClusterSelector>) -> bool {
    s.is_none_or(|s| {
        s.cluster_ids.is_empty()
            && s.name_pattern.is_empty()
            && s.environment.is_empty()
            && s.tags.is_empty()
    })
}

/// Whether a selector covers a cluster: every criterion set must match.
pub fn selects(selector: Option<&ClusterSelector>, c: &Cluster) -> bool {
    let Some(s) = selector else { return true };
    (s.cluster_ids.is_empty() || s.cluster_ids.iter().any(|id| *id == c.id || *id == c.name))
        && (s.name_pattern.is_empty() || glob(&s.name_pattern, &c.name))
        && (s.environment.is_empty() || s.environment == c.environment)
        && s.tags.iter().all(|(k, v)| c.tags.get(k) == Some(v))
}

/// `*` matches any run of characters, everything else itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Equal without leaking where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Validates a principal name: lowercase letters, digits, '.', '_', '-', '@'.
pub fn principal_name(field: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(c));
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "'{}' is not a principal name: use 1 to 64 lowercase letters, digits, '.', '_', '-' or '@'",
                validate::printable(name)
            ),
        ));
    }
    Ok(())
}

pub struct AccessManager {
    registry: Registry,
    enabled: bool,
    data_dir: PathBuf,
    /// When each token's last use was recorded (written at most once a minute).
    last_touch: Mutex<HashMap<String, Instant>>,
    /// Counts revocations of tokens and grants, for open streams to re-check their caller.
    revocations: tokio::sync::watch::Sender<u64>,
    /// Repeated denials being counted.
    denials: DenialTally,
}

impl AccessManager {
    pub fn new(registry: Registry, enabled: bool, data_dir: &Path) -> Self {
        AccessManager {
            registry,
            enabled,
            data_dir: data_dir.to_path_buf(),
            last_touch: Mutex::new(HashMap::new()),
            revocations: tokio::sync::watch::Sender::new(0),
            denials: DenialTally::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Changes whenever a token or grant is revoked.
    pub fn revocations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.revocations.subscribe()
    }

    fn revoked(&self) {
        self.revocations.send_modify(|n| *n += 1);
    }

    pub fn admin_token_path(&self) -> PathBuf {
        self.data_dir.join(ADMIN_TOKEN_FILE)
    }

    /// On start: makes sure the admin principal has its grant and that the admin token file
    /// holds a valid token (writing a new one, readable by the owner only, when it does not).
    pub async fn bootstrap(&self) -> Result<()> {
        if !self.enabled {
            return Ok(());
        }
        if self.registry.grants_of(ADMIN_PRINCIPAL).await?.is_empty() {
            self.registry
                .insert_grant(
                    ADMIN_PRINCIPAL,
                    &Grant {
                        id: uuid::Uuid::now_v7().to_string(),
                        role: "admin".into(),
                        created_at: Some(time::now()),
                        created_by: "lkm".into(),
                        ..Default::default()
                    },
                )
                .await?;
        }
        let path = self.admin_token_path();
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if self.authenticate(Some(current.trim())).await.is_ok() {
            tracing::info!(file = %path.display(), "admin token in place");
            return Ok(());
        }
        let (_, secret) = self
            .create_token(ADMIN_PRINCIPAL, "admin (written on start)", None)
            .await?;
        write_private(&path, &format!("{secret}\n"))?;
        tracing::info!(file = %path.display(), "created an admin token; it is in this file (readable by its owner only)");
        Ok(())
    }

    /// Who a bearer token belongs to. With authentication off, everyone may do everything.
    pub async fn authenticate(&self, bearer: Option<&str>) -> Result<Principal> {
        if !self.enabled {
            return Ok(Principal::unrestricted());
        }
        // Where the admin token is, is for the server's log and the CLI's hint, not for
        // whoever calls without one.
        let unauthenticated = |why: &str| {
            Error::Unauthenticated(format!("{why}; send 'authorization: Bearer <token>'"))
        };
        let secret = bearer
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| unauthenticated("no token"))?;
        let (id, _) = secret
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .ok_or_else(|| unauthenticated("not an lkm token"))?;
        let (token, hash) = self
            .registry
            .find_token(id)
            .await?
            .ok_or_else(|| unauthenticated("unknown token"))?;
        if !same(&sha256_hex(secret), &hash) {
            return Err(unauthenticated("unknown token"));
        }
        if token.revoked_at.is_some() {
            return Err(unauthenticated("the token was revoked"));
        }
        if let Some(exp) = &token.expires_at
            && time::millis(&Some(*exp)) <= time::millis(&Some(time::now()))
        {
            return Err(unauthenticated("the token has expired"));
        }
        self.touch(&token);
        Ok(Principal {
            grants: self.registry.grants_of(&token.principal).await?,
            name: token.principal.clone(),
            token: Some(token),
            authenticated: true,
        })
    }

    /// Records a token's use, at most once a minute.
    fn touch(&self, token: &Token) {
        {
            let mut seen = self.last_touch.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if seen
                .get(&token.id)
                .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(60))
            {
                return;
            }
            seen.insert(token.id.clone(), now);
        }
        let mut t = token.clone();
        t.last_used_at = Some(time::now());
        // In the background: the call does not wait for (or fail with) this bookkeeping.
        let registry = self.registry.clone();
        tokio::spawn(async move {
            if let Err(e) = registry.save_token(&t).await {
                tracing::warn!(error = %e, "cannot record a token's use");
            }
        });
    }

    /// Creates a token; returns it and its secret (to show once).
    pub async fn create_token(
        &self,
        principal: &str,
        name: &str,
        ttl: Option<Duration>,
    ) -> Result<(Token, String)> {
        principal_name("principal", principal)?;
        if name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(Error::invalid(
                "name",
                "at most 100 characters, no control characters",
            ));
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut random = [0u8; 32];
        rand::rng().fill_bytes(&mut random);
        let secret = format!("{TOKEN_PREFIX}{id}_{}", URL_SAFE_NO_PAD.encode(random));
        let now = time::now();
        let token = Token {
            id,
            principal: principal.to_string(),
            name: name.to_string(),
            created_at: Some(now),
            expires_at: ttl
                .map(|d| time::from_millis(time::millis(&Some(now)) + d.as_millis() as i64)),
            ..Default::default()
        };
        self.registry
            .insert_token(&token, &sha256_hex(&secret))
            .await?;
        Ok((token, secret))
    }

    pub async fn list_tokens(&self, principal: Option<&str>) -> Result<Vec<Token>> {
        self.registry.list_tokens(principal).await
    }

    pub async fn find_token(&self, id: &str) -> Result<Token> {
        self.registry
            .find_token(id)
            .await?
            .map(|(t, _)| t)
            .ok_or_else(|| {
                Error::precondition(
                    "TOKEN_NOT_FOUND",
                    format!("no token '{}'", validate::printable(id)),
                )
            })
    }

    pub async fn revoke_token(&self, id: &str) -> Result<Token> {
        let mut t = self.find_token(id).await?;
        if t.revoked_at.is_none() {
            t.revoked_at = Some(time::now());
            self.registry.save_token(&t).await?;
            self.revoked();
        }
        Ok(t)
    }

    /// Adds a grant (role and/or actions on selected clusters) to a principal.
    pub async fn grant(&self, principal: &str, mut g: Grant, by: &str) -> Result<Grant> {
        principal_name("principal", principal)?;
        if !g.role.is_empty() && role_actions(&g.role).is_none() {
            return Err(Error::invalid(
                "grant.role",
                format!(
                    "'{}' is not a role: use admin, editor, operator or viewer",
                    validate::printable(&g.role)
                ),
            ));
        }
        for a in &g.actions {
            if !ACTIONS.contains(&a.as_str()) {
                return Err(Error::invalid(
                    "grant.actions",
                    format!(
                        "'{}' is not an action: use one of {}",
                        validate::printable(a),
                        ACTIONS.join(", ")
                    ),
                ));
            }
        }
        if g.role.is_empty() && g.actions.is_empty() {
            return Err(Error::invalid(
                "grant",
                "give a role or at least one action",
            ));
        }
        if let Some(s) = &g.clusters {
            if !s.environment.is_empty() {
                validate::environment("grant.clusters.environment", &s.environment)?;
            }
            validate::tags("grant.clusters.tags", &s.tags)?;
            if s.name_pattern.len() > 100 || s.name_pattern.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "grant.clusters.name_pattern",
                    "at most 100 characters",
                ));
            }
        }
        g.id = uuid::Uuid::now_v7().to_string();
        g.created_at = Some(time::now());
        g.created_by = by.to_string();
        self.registry.insert_grant(principal, &g).await?;
        Ok(g)
    }

    pub async fn revoke_grant(&self, principal: &str, id: &str) -> Result<()> {
        if !self.registry.delete_grant(principal, id).await? {
            return Err(Error::precondition(
                "GRANT_NOT_FOUND",
                format!(
                    "principal '{}' has no grant '{}'",
                    validate::printable(principal),
                    validate::printable(id)
                ),
            ));
        }
        self.revoked();
        Ok(())
    }

    pub async fn grants_of(&self, principal: &str) -> Result<Vec<Grant>> {
        self.registry.grants_of(principal).await
    }

    /// Records a call in the audit log (failures to record are logged, never fatal).
    pub async fn record(&self, event: AuditEvent) {
        let event = AuditEvent {
            id: uuid::Uuid::now_v7().to_string(),
            time: Some(time::now()),
            count: 1,
            ..event
        };
        self.write_audit(&event).await;
    }

    /// Records a denied call: repeats of the same denial by the same client are counted on
    /// one event (see `denial_tally`), so denials cannot grow the log a row per call.
    pub async fn record_denial(&self, event: AuditEvent) {
        let event = AuditEvent {
            id: uuid::Uuid::now_v7().to_string(),
            time: Some(time::now()),
            ..event
        };
        for e in self.denials.add(event, Instant::now()) {
            self.write_audit(&e).await;
        }
    }

    /// Writes the counts of repeated denials that grew since they were last written (the
    /// server calls this every `denial_tally::REWRITE_EVERY`, and on shutdown).
    pub async fn flush_denials(&self) {
        for e in self.denials.due(Instant::now()) {
            self.write_audit(&e).await;
        }
    }

    async fn write_audit(&self, event: &AuditEvent) {
        if let Err(e) = self.registry.write_audit(event).await {
            tracing::error!(error = %e, method = %event.method, "cannot write the audit log");
        }
    }

    /// Deletes audit events older than `retention_days` (0: keeps everything); how many.
    pub async fn prune_audit(&self, retention_days: u32) -> Result<u64> {
        if retention_days == 0 {
            return Ok(0);
        }
        let cutoff = time::millis(&Some(time::now())) - i64::from(retention_days) * 86_400_000;
        let pruned = self.registry.prune_audit(cutoff).await?;
        if pruned > 0 {
            tracing::info!(pruned, retention_days, "pruned old audit events");
        }
        Ok(pruned)
    }

    pub async fn audit(
        &self,
        since_ms: i64,
        until_ms: i64,
        before: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        self.registry
            .list_audit(since_ms, until_ms, before, limit)
            .await
    }
}

fn write_private(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::internal(format!("writing {}: {e}", path.display())))?;
    // An existing file keeps its mode on open: make sure of it.
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| f.write_all(contents.as_bytes()))
        .map_err(|e| Error::internal(format!("writing {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(name: &str, env: &str, tags: &[(&str, &str)]) -> Cluster {
        Cluster {
            id: format!("id-{name}"),
            name: name.into(),
            environment: env.into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn globs() {
        assert!(glob("team-a-*", "team-a-orders"));
        assert!(glob("*", "x"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("team-a-*", "team-b-orders"));
        assert!(!glob("a*c", "ab"));
        assert!(glob("exact", "exact"));
    }

    #[test]
    fn roles_and_selectors_decide() {
        let p = Principal {
            name: "alice".into(),
            grants: vec![
                Grant {
                    role: "viewer".into(),
                    ..Default::default()
                },
                Grant {
                    role: "editor".into(),
                    clusters: Some(ClusterSelector {
                        environment: "dev".into(),
                        tags: [("team".to_string(), "a".to_string())].into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ],
            token: None,
            authenticated: true,
        };
        let mine = cluster("a1", "dev", &[("team", "a")]);
        let theirs = cluster("b1", "dev", &[("team", "b")]);
        let prod = cluster("a2", "prod", &[("team", "a")]);
        assert!(p.may(TOPICS_WRITE, &mine));
        assert!(!p.may(TOPICS_WRITE, &theirs));
        assert!(p.may(VIEW, &theirs), "viewer everywhere");
        assert!(!p.may(CONFIGURE, &prod));
        assert!(!p.is_admin());
        assert!(Principal::unrestricted().is_admin());
    }

    #[test]
    fn comparisons_do_not_short_circuit_on_content() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
