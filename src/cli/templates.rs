//! `lkm templates …`: TemplateService.

use std::path::PathBuf;

use clap::Subcommand;

use super::Ctx;
use super::error::CliResult;
use super::output::{self, Table, fields, short, time};
use super::parse;
use super::reflect;
use crate::pb;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List templates.
    #[command(visible_alias = "ls")]
    List {
        /// Only templates of this category.
        #[arg(long, value_enum)]
        category: Option<Category>,
    },
    /// Show one template and its default configuration.
    Get {
        /// Template id.
        template: String,
    },
    /// Create a template of your own.
    Create(CreateArgs),
    /// Delete a template of your own (built-in ones stay).
    #[command(visible_alias = "rm")]
    Delete {
        /// Template id.
        template: String,
    },
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// Id: lowercase letters, digits and '-', starting with a letter.
    pub id: String,
    /// The template as proto3 JSON (a ClusterTemplate; "-" for stdin); flags override it.
    #[arg(long, short = 'f')]
    pub file: Option<PathBuf>,
    /// Display name [default: the id].
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[arg(long, value_enum)]
    pub category: Option<Category>,
    /// Environment of clusters created from it that name none.
    #[arg(long)]
    pub environment: Option<String>,
    /// Any field by path, e.g. default_kafka_config.num_partitions=6,
    /// default_kafka_config.engine=BROKER_ENGINE_TANSU; repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse::key_value)]
    pub set: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Category {
    Development,
    Testing,
    Staging,
    Production,
    Custom,
}

impl From<Category> for pb::TemplateCategory {
    fn from(c: Category) -> Self {
        match c {
            Category::Development => pb::TemplateCategory::Development,
            Category::Testing => pb::TemplateCategory::Testing,
            Category::Staging => pb::TemplateCategory::Staging,
            Category::Production => pb::TemplateCategory::Production,
            Category::Custom => pb::TemplateCategory::Custom,
        }
    }
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> CliResult {
    let mut api = ctx.api.templates();
    match cmd {
        Cmd::List { category } => {
            let mut all = pb::ListTemplatesResponse::default();
            loop {
                let page = api
                    .list_templates(ctx.api.req(pb::ListTemplatesRequest {
                        category: category.map_or(0, |c| pb::TemplateCategory::from(c) as i32),
                        page_size: 1000,
                        page_token: all.next_page_token.clone(),
                    }))
                    .await?
                    .into_inner();
                all.templates.extend(page.templates);
                all.total_size = page.total_size;
                all.next_page_token = page.next_page_token;
                if all.next_page_token.is_empty() {
                    break;
                }
            }
            if ctx.json() {
                return output::json(&all);
            }
            let mut t = Table::new(&[
                "ID",
                "CATEGORY",
                "ENGINE",
                "BROKERS",
                "BUILT-IN",
                "DESCRIPTION",
            ]);
            for tpl in &all.templates {
                let k = tpl.default_kafka_config.clone().unwrap_or_default();
                t.row(vec![
                    tpl.id.clone(),
                    category_name(tpl.category),
                    engine_name(k.engine),
                    k.broker_count.map(|b| b.to_string()).unwrap_or_default(),
                    if tpl.is_builtin { "yes" } else { "no" }.into(),
                    output::cell(&tpl.description, 60),
                ]);
            }
            t.print_or("no templates")
        }
        Cmd::Get { template } => {
            let t = api
                .get_template(ctx.api.req(pb::GetTemplateRequest {
                    template_id: template,
                }))
                .await?
                .into_inner()
                .template
                .unwrap_or_default();
            show(ctx, &t)
        }
        Cmd::Create(args) => {
            let mut t = match &args.file {
                Some(path) => {
                    let text = if path.as_os_str() == "-" {
                        std::io::read_to_string(std::io::stdin())?
                    } else {
                        std::fs::read_to_string(path)
                            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
                    };
                    reflect::from_json::<pb::ClusterTemplate>(text.as_bytes())
                        .map_err(|e| format!("{}: {e}", path.display()))?
                }
                None => pb::ClusterTemplate::default(),
            };
            t.id = args.id;
            if let Some(n) = args.name {
                t.name = n;
            }
            if t.name.is_empty() {
                t.name = t.id.clone();
            }
            if let Some(d) = args.description {
                t.description = d;
            }
            if let Some(c) = args.category {
                t.category = pb::TemplateCategory::from(c) as i32;
            }
            if let Some(e) = args.environment {
                t.default_environment = e;
            }
            reflect::set_fields(&mut t, &args.set)?;
            let created = api
                .create_template(ctx.api.req(pb::CreateTemplateRequest { template: Some(t) }))
                .await?
                .into_inner()
                .template
                .unwrap_or_default();
            show(ctx, &created)
        }
        Cmd::Delete { template } => {
            let res = api
                .delete_template(ctx.api.req(pb::DeleteTemplateRequest {
                    template_id: template.clone(),
                }))
                .await?
                .into_inner();
            if ctx.json() {
                return output::json(&res);
            }
            output::line(&format!("deleted template {template}"))
        }
    }
}

fn show(ctx: &Ctx, t: &pb::ClusterTemplate) -> CliResult {
    if ctx.json() {
        return output::json(t);
    }
    let mut text = fields(&[
        ("ID", t.id.clone()),
        ("Name", t.name.clone()),
        ("Category", category_name(t.category)),
        ("Built-in", if t.is_builtin { "yes" } else { "no" }.into()),
        ("Description", t.description.clone()),
        ("Environment", t.default_environment.clone()),
        ("Version", t.version.clone()),
        ("Tags", t.tags.join(", ")),
        (
            "Memory (MB)",
            format!(
                "min {}, recommended {}",
                t.min_memory_mb, t.recommended_memory_mb
            ),
        ),
        (
            "Disk (GB)",
            format!(
                "min {}, recommended {}",
                t.min_disk_gb, t.recommended_disk_gb
            ),
        ),
        ("Created", time(t.created_at.as_ref())),
        ("Updated", time(t.updated_at.as_ref())),
    ]);
    text.push_str(&output::config_section(
        "Defaults",
        t.default_kafka_config.as_ref(),
        t.default_rest_proxy_config.as_ref(),
        t.default_ui_config.as_ref(),
        t.default_retention_policy.as_ref(),
    )?);
    output::print(&text)
}

fn category_name(c: i32) -> String {
    let name = pb::TemplateCategory::try_from(c)
        .map(|c| c.as_str_name())
        .unwrap_or("UNKNOWN");
    short(name, "TEMPLATE_CATEGORY_").to_lowercase()
}

fn engine_name(e: Option<i32>) -> String {
    match e.and_then(|e| pb::BrokerEngine::try_from(e).ok()) {
        Some(pb::BrokerEngine::ApacheKafka) => "apache-kafka".into(),
        Some(pb::BrokerEngine::Tansu) => "tansu".into(),
        _ => String::new(),
    }
}
