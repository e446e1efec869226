//! `catalogs`, `groups`, and the single-object `products` commands (list, get, delete).

use super::{ask, require_yes_off_terminal};
use crate::cli::{CatalogsCommand, GetArgs, GroupsCommand, ListArgs, ListFormat, ProductsCommand};
use crate::error::{CliError, Status};
use crate::output::{Output, json_line, line, list_format, table, write_table};
use crate::progress::Mode;
use chrono::{DateTime, SecondsFormat, Utc};
use dintero_products::{
    Catalog, Client, Group, ListOperation, ListRequest, NewCatalog, NewGroup, PageSize, Product,
    ProductId, Write,
};
use futures::{StreamExt, TryStreamExt};

pub(crate) async fn catalogs(
    client: &Client,
    command: CatalogsCommand,
) -> Result<Status, CliError> {
    let catalogs = client.catalogs();
    match command {
        CatalogsCommand::List(args) => listing(catalogs.list(), &args).await,
        CatalogsCommand::Create(args) => {
            let created = catalogs
                .create(NewCatalog::new(args.name).id(args.id.as_str()))
                .await?;
            say(&format!(
                "created catalog {} ({:?})",
                created.id(),
                created.name()
            ))
        }
        CatalogsCommand::Delete { id, yes } => {
            let what = format!("deleting catalog {id} deletes every product in it");
            require_yes_off_terminal(yes, &what)?;
            if !yes && !ask(&format!("Delete catalog {id} and every product in it?"))? {
                crate::output::note("not deleted");
                return Ok(Status::SomeFailed);
            }
            let deleted = catalogs.delete(id.as_str()).await?;
            say(&format!("deleted catalog {}", deleted.id()))
        }
    }
}

pub(crate) async fn groups(client: &Client, command: GroupsCommand) -> Result<Status, CliError> {
    let groups = client.groups();
    match command {
        GroupsCommand::List(args) => listing(groups.list(), &args).await,
        GroupsCommand::Get(GetArgs { id, format }) => {
            let group = groups.get(id.as_str()).await?;
            let raw = group.raw();
            let fields = vec![
                ("id", group.id().to_string()),
                ("name", group.name().to_string()),
                ("created_at", time(raw.created_at)),
                ("updated_at", time(raw.updated_at)),
            ];
            show_one(format, &fields, raw)
        }
        GroupsCommand::Create(args) => {
            let created = groups
                .create(NewGroup::new(args.name).id(args.id.as_str()))
                .await?;
            say(&format!(
                "created group {} ({:?})",
                created.id(),
                created.name()
            ))
        }
        GroupsCommand::Delete { id } => {
            let deleted = groups.delete(id.as_str()).await?;
            say(&format!("deleted group {}", deleted.id()))
        }
    }
}

pub(crate) async fn products(
    client: &Client,
    command: ProductsCommand,
    mode: Mode,
) -> Result<Status, CliError> {
    match command {
        ProductsCommand::List {
            catalog,
            name,
            list,
        } => {
            let mut request = client.products(catalog.as_str()).list();
            if let Some(name) = name {
                request = request.product_name(name);
            }
            listing(request, &list).await
        }
        ProductsCommand::Get { catalog, get } => {
            let product = client
                .products(catalog.as_str())
                .get(get.id.as_str())
                .await?;
            show_one(get.format, &product_fields(&product), product.raw())
        }
        ProductsCommand::Delete {
            catalog,
            ids,
            concurrency,
        } => {
            let ids = ids
                .iter()
                .map(ProductId::new)
                .collect::<Result<Vec<_>, _>>()
                .map_err(dintero_products::Error::from)?;
            let mut run = client
                .products(catalog.as_str())
                .bulk()
                .concurrency(usize::from(concurrency))
                .run(ids.into_iter().map(Write::delete).collect::<Vec<_>>());
            let mut out = Output::open(None)?;
            let mut failed = false;
            while let Some(outcome) = run.next().await {
                let id = outcome.id.as_ref().map_or("", ProductId::as_str);
                match outcome.result {
                    Ok(_) => line(&mut out, &format!("deleted product {id}"))?,
                    Err(e) => {
                        failed = true;
                        crate::output::note(&format!(
                            "error: product {id}: {}",
                            crate::error::one_line(&e)
                        ));
                    }
                }
            }
            out.commit()?;
            Ok(if failed {
                Status::SomeFailed
            } else {
                Status::Success
            })
        }
        ProductsCommand::Export(args) => super::export::export(client, args, mode).await,
        ProductsCommand::Import(args) => super::import::import(client, args, mode).await,
        ProductsCommand::Sync(args) => super::sync::sync(client, args, mode).await,
    }
}

/// What a listing shows of an object: a table row, or the API's JSON.
trait Listed {
    /// The table's column names.
    const HEADERS: &'static [&'static str];
    /// The API's type, for JSON Lines.
    type Raw: serde::Serialize;
    /// The table row.
    fn cells(&self) -> Vec<String>;
    /// The API's JSON.
    fn json(&self) -> &Self::Raw;
}

impl Listed for Catalog {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "UPDATED"];
    type Raw = dintero_products::types::CatalogResponse;
    fn cells(&self) -> Vec<String> {
        vec![
            self.id().to_string(),
            self.name().to_string(),
            time(self.updated_at()),
        ]
    }
    fn json(&self) -> &Self::Raw {
        self.raw()
    }
}

impl Listed for Group {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "UPDATED"];
    type Raw = dintero_products::types::GroupResponse;
    fn cells(&self) -> Vec<String> {
        vec![
            self.id().to_string(),
            self.name().to_string(),
            time(self.updated_at()),
        ]
    }
    fn json(&self) -> &Self::Raw {
        self.raw()
    }
}

impl Listed for Product {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "PRICE", "GROUPS", "UNIT"];
    type Raw = dintero_products::types::ProductDetails;
    fn cells(&self) -> Vec<String> {
        vec![
            self.id().to_string(),
            self.name().to_string(),
            self.price().map(|p| p.to_string()).unwrap_or_default(),
            self.group_ids().collect::<Vec<_>>().join(", "),
            self.unit().unwrap_or_default().to_string(),
        ]
    }
    fn json(&self) -> &Self::Raw {
        self.raw()
    }
}

/// Streams a list: as JSON Lines written as they arrive, or as a table once all are in (a
/// table needs every row for its widths).
async fn listing<Op>(request: ListRequest<Op>, args: &ListArgs) -> Result<Status, CliError>
where
    Op: ListOperation,
    Op::Item: Listed,
{
    let mut out = Output::open(args.output.as_deref())?;
    let format = list_format(args.format, &out);
    let mut request = request.limit(PageSize::MAX);
    if let Some(n) = args.limit {
        request = request.max_items(n);
    }
    let mut items = request.items();
    let mut rows = table(<Op::Item as Listed>::HEADERS);
    while let Some(item) = items.try_next().await? {
        match format {
            ListFormat::Table => {
                rows.add_row(item.cells());
            }
            ListFormat::Json => json_line(&mut out, item.json())?,
        }
    }
    if format == ListFormat::Table {
        write_table(&mut out, &rows, "(none)")?;
    }
    out.commit()?;
    Ok(Status::Success)
}

/// One object: a two-column table of its fields, or its JSON.
fn show_one(
    format: Option<ListFormat>,
    fields: &[(&str, String)],
    raw: &impl serde::Serialize,
) -> Result<Status, CliError> {
    let mut out = Output::open(None)?;
    match list_format(format, &out) {
        ListFormat::Json => json_line(&mut out, raw)?,
        ListFormat::Table => {
            let mut rows = table(&["FIELD", "VALUE"]);
            for (name, value) in fields {
                rows.add_row(vec![name.to_string(), value.clone()]);
            }
            write_table(&mut out, &rows, "(none)")?;
        }
    }
    out.commit()?;
    Ok(Status::Success)
}

fn product_fields(p: &Product) -> Vec<(&'static str, String)> {
    let raw = p.raw();
    let text = |s: Option<&str>| s.unwrap_or_default().to_string();
    vec![
        ("id", p.id().to_string()),
        ("name", p.name().to_string()),
        ("description", text(p.description())),
        (
            "price",
            p.price().map(|p| p.to_string()).unwrap_or_default(),
        ),
        ("groups", p.group_ids().collect::<Vec<_>>().join(", ")),
        ("unit", text(p.unit())),
        ("virtual", p.is_virtual().to_string()),
        ("starting_at", time(p.starting_at())),
        ("stopping_at", time(p.stopping_at())),
        ("dimension", json_cell(&raw.dimension)),
        ("images", json_cell(&raw.images)),
        ("locations", json_cell(&raw.locations)),
        ("catalog", text(p.catalog_id())),
        ("created_at", time(raw.created_at)),
        ("updated_at", time(p.updated_at())),
    ]
}

/// A field in a table: compact JSON, or nothing when it is absent or empty.
fn json_cell(value: &impl serde::Serialize) -> String {
    match serde_json::to_string(value) {
        Ok(json) if json != "null" && json != "[]" => json,
        _ => String::new(),
    }
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Prints the result of a single write.
fn say(text: &str) -> Result<Status, CliError> {
    let mut out = Output::open(None)?;
    line(&mut out, text)?;
    out.commit()?;
    Ok(Status::Success)
}
