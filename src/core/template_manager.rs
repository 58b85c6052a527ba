//! Template catalogue: the built-ins plus user templates kept in the registry.

use crate::error::{Error, Result};
use crate::pb::{ClusterTemplate, TemplateCategory};
use crate::registry::Registry;

use super::pagination::{self, Page};
use super::templates::{self, Overrides};
use super::{time, update};
use crate::pb::Cluster;

#[derive(Clone, Debug)]
pub struct TemplateManager {
    registry: Registry,
}

impl TemplateManager {
    pub fn new(registry: Registry) -> Self {
        TemplateManager { registry }
    }

    pub async fn get(&self, id: &str) -> Result<ClusterTemplate> {
        if id.is_empty() {
            return Err(Error::invalid("template_id", "is required"));
        }
        if let Some(t) = templates::builtin(id) {
            return Ok(t);
        }
        self.registry
            .get_template(id)
            .await?
            .ok_or_else(|| Error::TemplateNotFound(id.to_string()))
    }

    pub async fn list(
        &self,
        category: i32,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<ClusterTemplate>> {
        let category = TemplateCategory::try_from(category)
            .map_err(|_| Error::invalid("category", format!("unknown category {category}")))?;
        let mut all = templates::builtins();
        all.extend(self.registry.list_templates().await?);
        all.retain(|t| category == TemplateCategory::Unspecified || t.category() == category);
        // Built-ins first, then user templates, each by id.
        let key = |t: &ClusterTemplate| format!("{}{}", if t.is_builtin { 0 } else { 1 }, t.id);
        all.sort_by_key(key);
        let filter = pagination::fingerprint(&[&category]);
        pagination::paginate(all, key, page_size, page_token, filter)
    }

    pub async fn create(&self, t: ClusterTemplate) -> Result<ClusterTemplate> {
        let mut t = templates::normalize(t)?;
        if templates::is_builtin(&t.id) {
            return Err(Error::TemplateAlreadyExists(t.id));
        }
        let now = time::now();
        t.created_at = Some(now);
        t.updated_at = Some(now);
        self.registry.insert_template(&t).await?;
        tracing::info!(template = %t.id, "template created");
        Ok(t)
    }

    pub async fn update(
        &self,
        id: &str,
        patch: &ClusterTemplate,
        paths: &[String],
    ) -> Result<ClusterTemplate> {
        let current = self.get(id).await?;
        if current.is_builtin {
            return Err(Error::precondition(
                "BUILTIN_TEMPLATE",
                format!(
                    "'{id}' is a built-in template and cannot be changed; create your own template from it instead"
                ),
            ));
        }
        let mut next = update::template(&current, patch, paths)?;
        next.updated_at = Some(time::now());
        self.registry.save_template(&next).await?;
        tracing::info!(template = %id, fields = ?paths, "template updated");
        Ok(next)
    }

    pub async fn delete(&self, id: &str) -> Result<()> {
        if templates::is_builtin(id) {
            return Err(Error::precondition(
                "BUILTIN_TEMPLATE",
                format!("'{id}' is a built-in template and cannot be deleted"),
            ));
        }
        if id.is_empty() {
            return Err(Error::invalid("template_id", "is required"));
        }
        if !self.registry.delete_template(id).await? {
            return Err(Error::TemplateNotFound(id.to_string()));
        }
        tracing::info!(template = %id, "template deleted");
        Ok(())
    }

    /// The seed's `apply_template`: the cluster `template_id` plus `overrides` would create.
    pub async fn apply(&self, template_id: &str, overrides: &Overrides) -> Result<Cluster> {
        let template = if template_id.is_empty() {
            None
        } else {
            Some(self.get(template_id).await?)
        };
        templates::apply(template.as_ref(), overrides)
    }
}
