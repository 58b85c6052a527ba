//! `lkm whoami`, `lkm tokens …`, `lkm grants …`, `lkm audit`: AccessService.

use clap::Subcommand;

use super::Ctx;
use super::error::CliResult;
use super::output::{self, Table, fields, time};
use super::parse;
use crate::pb;

#[derive(Subcommand, Debug)]
pub enum TokensCmd {
    /// List tokens: yours, or (admin) everybody's or one principal's.
    #[command(visible_alias = "ls")]
    List {
        /// Only this principal's tokens (admin).
        #[arg(long)]
        principal: Option<String>,
    },
    /// Create a token and print its secret (shown only now).
    Create {
        /// What it is for, e.g. "ci" or "laptop".
        name: String,
        /// Whose token [default: yours]; another principal needs admin (and is created if new).
        #[arg(long)]
        principal: Option<String>,
        /// Lifetime, e.g. 12h or 30d [default: never expires].
        #[arg(long, value_parser = parse::duration)]
        ttl: Option<std::time::Duration>,
    },
    /// Revoke a token (effective on its next call).
    #[command(visible_alias = "rm")]
    Revoke {
        /// Token id (from `lkm tokens list`).
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum GrantsCmd {
    /// A principal's grants [default: yours].
    #[command(visible_alias = "ls")]
    List {
        /// Whose grants.
        #[arg(long)]
        principal: Option<String>,
    },
    /// Give a principal a role and/or actions on the clusters selected (admin).
    Add(GrantArgs),
    /// Take a grant away (admin).
    #[command(visible_alias = "rm")]
    Revoke {
        principal: String,
        /// Grant id (from `lkm grants list`).
        grant_id: String,
    },
}

#[derive(clap::Args, Debug)]
pub struct GrantArgs {
    pub principal: String,
    /// admin, editor, operator or viewer.
    #[arg(long)]
    pub role: Option<String>,
    /// An action in addition to the role's (view, operate, configure, topics.read,
    /// topics.write, messages.read, messages.produce, groups.write, operations.run, admin);
    /// repeatable.
    #[arg(long = "action", value_name = "ACTION")]
    pub actions: Vec<String>,
    /// A cluster by id or name; repeatable.
    #[arg(long = "cluster", value_name = "CLUSTER")]
    pub clusters: Vec<String>,
    /// Clusters whose name matches this glob, e.g. "team-a-*".
    #[arg(long)]
    pub name_pattern: Option<String>,
    /// Clusters of this environment.
    #[arg(long)]
    pub environment: Option<String>,
    /// Clusters carrying this tag; repeatable.
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse::key_value)]
    pub tags: Vec<(String, String)>,
}

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// Only calls naming this cluster (id or name).
    #[arg(long)]
    pub cluster: Option<String>,
    /// Only calls of this principal.
    #[arg(long)]
    pub principal: Option<String>,
    /// Only events since this time: RFC 3339 or an age (15m, 2h, 1d).
    #[arg(long, value_parser = parse::timestamp)]
    pub since: Option<prost_types::Timestamp>,
    /// At most this many events, newest first.
    #[arg(long, short = 'n', default_value_t = 50)]
    pub limit: usize,
}

pub async fn whoami(ctx: &Ctx) -> CliResult {
    let me = ctx
        .api
        .access()
        .who_am_i(ctx.api.req(pb::WhoAmIRequest {}))
        .await?
        .into_inner();
    if ctx.json() {
        return output::json(&me);
    }
    if !me.authentication {
        return output::line(&format!(
            "{} (the server runs without authentication: everyone may do everything)",
            me.principal
        ));
    }
    let token = me.token.unwrap_or_default();
    output::print(&fields(&[
        ("Principal", me.principal.clone()),
        ("Token", format!("{} ({})", token.name, token.id)),
        ("Expires", time(token.expires_at.as_ref())),
    ]))?;
    grants_table(&me.grants).print_or("No grants.")
}

pub async fn tokens(ctx: &Ctx, cmd: TokensCmd) -> CliResult {
    let mut api = ctx.api.access();
    match cmd {
        TokensCmd::List { principal } => {
            let list = api
                .list_tokens(ctx.api.req(pb::ListTokensRequest {
                    principal: principal.unwrap_or_default(),
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&list);
            }
            let mut t = Table::new(&[
                "ID",
                "PRINCIPAL",
                "NAME",
                "CREATED",
                "EXPIRES",
                "LAST USED",
                "STATE",
            ]);
            let now = crate::core::time::now().seconds;
            for k in &list.tokens {
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else if k.expires_at.as_ref().is_some_and(|e| e.seconds <= now) {
                    "expired"
                } else {
                    "active"
                };
                t.row(vec![
                    k.id.clone(),
                    k.principal.clone(),
                    k.name.clone(),
                    time(k.created_at.as_ref()),
                    time(k.expires_at.as_ref()),
                    time(k.last_used_at.as_ref()),
                    state.into(),
                ]);
            }
            t.print_or("No tokens.")
        }
        TokensCmd::Create {
            name,
            principal,
            ttl,
        } => {
            let created = api
                .create_token(ctx.api.req(pb::CreateTokenRequest {
                    principal: principal.unwrap_or_default(),
                    name,
                    ttl: ttl.map(parse::proto_duration),
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&created);
            }
            let token = created.token.unwrap_or_default();
            eprintln!(
                "token {} for {} created; its secret is shown only now:",
                token.id, token.principal
            );
            output::line(&created.secret)
        }
        TokensCmd::Revoke { id } => {
            api.revoke_token(ctx.api.req(pb::RevokeTokenRequest {
                token_id: id.clone(),
            }))
            .await?;
            output::line(&format!("token {id} revoked"))
        }
    }
}

pub async fn grants(ctx: &Ctx, cmd: GrantsCmd) -> CliResult {
    let mut api = ctx.api.access();
    match cmd {
        GrantsCmd::List { principal } => {
            let list = api
                .list_grants(ctx.api.req(pb::ListGrantsRequest {
                    principal: principal.unwrap_or_default(),
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&list);
            }
            grants_table(&list.grants).print_or("No grants.")
        }
        GrantsCmd::Add(a) => {
            let granted = api
                .grant_access(ctx.api.req(pb::GrantAccessRequest {
                    principal: a.principal.clone(),
                    grant: Some(pb::Grant {
                        role: a.role.unwrap_or_default(),
                        actions: a.actions,
                        clusters: Some(pb::ClusterSelector {
                            cluster_ids: a.clusters,
                            name_pattern: a.name_pattern.unwrap_or_default(),
                            environment: a.environment.unwrap_or_default(),
                            tags: a.tags.into_iter().collect(),
                        }),
                        ..Default::default()
                    }),
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&granted);
            }
            let g = granted.grant.unwrap_or_default();
            output::line(&format!(
                "granted {} to {} on {} (grant {})",
                what(&g),
                a.principal,
                selector(g.clusters.as_ref()),
                g.id
            ))
        }
        GrantsCmd::Revoke {
            principal,
            grant_id,
        } => {
            api.revoke_access(ctx.api.req(pb::RevokeAccessRequest {
                principal: principal.clone(),
                grant_id: grant_id.clone(),
            }))
            .await?;
            output::line(&format!("grant {grant_id} of {principal} revoked"))
        }
    }
}

pub async fn audit(ctx: &Ctx, a: AuditArgs) -> CliResult {
    let mut api = ctx.api.access();
    let mut all = pb::ListAuditEventsResponse::default();
    loop {
        let page = api
            .list_audit_events(ctx.api.req(pb::ListAuditEventsRequest {
                cluster_id: a.cluster.clone().unwrap_or_default(),
                principal: a.principal.clone().unwrap_or_default(),
                since: a.since,
                until: None,
                page_size: i32::try_from(a.limit.min(1000)).unwrap_or(1000),
                page_token: all.next_page_token.clone(),
            }))
            .await?
            .into_inner();
        all.events.extend(page.events);
        all.next_page_token = page.next_page_token;
        if all.next_page_token.is_empty() || all.events.len() >= a.limit {
            break;
        }
    }
    all.events.truncate(a.limit);
    if ctx.json() {
        return output::json(&all);
    }
    let mut t = Table::new(&[
        "TIME",
        "PRINCIPAL",
        "CALL",
        "CLUSTERS",
        "OUTCOME",
        "MESSAGE",
    ]);
    for e in &all.events {
        t.row(vec![
            time(e.time.as_ref()),
            e.principal.clone(),
            e.method
                .strip_prefix("lkm.v1.")
                .unwrap_or(&e.method)
                .to_string(),
            if e.operation_id.is_empty() {
                e.cluster_ids.join(", ")
            } else {
                format!(
                    "{} (operation {})",
                    e.cluster_ids.join(", "),
                    e.operation_id
                )
            },
            // A repeated denial is one event with a count.
            if e.count > 1 {
                format!("{} ×{}", e.outcome, e.count)
            } else {
                e.outcome.clone()
            },
            e.message.clone(),
        ]);
    }
    t.print_or("No audit events.")
}

fn grants_table(grants: &[pb::Grant]) -> Table {
    let mut t = Table::new(&["GRANT", "ROLE / ACTIONS", "CLUSTERS", "CREATED", "BY"]);
    for g in grants {
        t.row(vec![
            g.id.clone(),
            what(g),
            selector(g.clusters.as_ref()),
            time(g.created_at.as_ref()),
            g.created_by.clone(),
        ]);
    }
    t
}

/// `editor`, `viewer + topics.write`, `messages.read`.
fn what(g: &pb::Grant) -> String {
    let mut parts = Vec::new();
    if !g.role.is_empty() {
        parts.push(g.role.clone());
    }
    parts.extend(g.actions.iter().cloned());
    parts.join(" + ")
}

/// `all clusters`, `environment dev, name team-a-*`.
fn selector(s: Option<&pb::ClusterSelector>) -> String {
    let Some(s) = s else {
        return "all clusters".into();
    };
    let mut parts = Vec::new();
    if !s.cluster_ids.is_empty() {
        parts.push(format!("clusters {}", s.cluster_ids.join(", ")));
    }
    if !s.name_pattern.is_empty() {
        parts.push(format!("name {}", s.name_pattern));
    }
    if !s.environment.is_empty() {
        parts.push(format!("environment {}", s.environment));
    }
    let mut tags: Vec<String> = s.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    tags.sort();
    if !tags.is_empty() {
        parts.push(format!("tags {}", tags.join(",")));
    }
    if parts.is_empty() {
        "all clusters".into()
    } else {
        parts.join("; ")
    }
}
