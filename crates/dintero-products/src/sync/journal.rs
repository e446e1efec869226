//! What a recreate writes down before it deletes: the product's whole body, so that a product
//! is never left deleted, whatever happens between the delete and the create.

use crate::resources::Product;
use dintero_products_client::types;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Where a recreate records a product before deleting it, and marks it done once the product
/// exists again. A sync with a journal looks there first ([`CatalogSync::plan`]) and creates
/// again, as it was, every product a killed run left deleted.
///
/// `scope` names the account and catalog (`T12345678/S23`), so one journal serves many.
///
/// [`CatalogSync::plan`]: crate::CatalogSync::plan
pub trait Journal: Send + Sync + fmt::Debug + 'static {
    /// Records `before`, the product about to be deleted. Must be durable when it returns: the
    /// delete follows at once.
    fn begin(&self, scope: &str, before: &Product) -> io::Result<()>;
    /// The recreate of `id` is over: the product exists again (new, or restored).
    fn end(&self, scope: &str, id: &str) -> io::Result<()>;
    /// The products of `scope` whose recreate began and did not end.
    fn pending(&self, scope: &str) -> io::Result<Vec<Product>>;
}

/// A [`Journal`] in a JSON Lines file: a line per begin (with the product's body as the API
/// returned it) and per end, each flushed to disk before the call returns; emptied when no
/// recreate is open. A line cut short by a crash is skipped when read.
///
/// ```no_run
/// # async fn run(client: dintero_products::Client, desired: dintero_products::Desired) -> dintero_products::Result<()> {
/// use dintero_products::FileJournal;
///
/// let journal = FileJournal::open("catalog-sync.journal").map_err(dintero_products::Error::Journal)?;
/// let sync = client.products("S23").sync(desired).allow_recreate(true).journal(journal);
/// let plan = sync.plan().await?; // first restores what a killed run left deleted
/// sync.apply(&plan).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    /// How many recreates are open, by scope and id.
    open: Mutex<BTreeMap<(String, String), usize>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    Begin {
        scope: String,
        product: Box<types::ProductDetails>,
    },
    End {
        scope: String,
        product_id: String,
    },
}

impl FileJournal {
    /// Opens the journal at `path`, creating it when missing, and reads what is open in it.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        OpenOptions::new().create(true).append(true).open(&path)?;
        let mut open = BTreeMap::new();
        for line in read_lines(&path)? {
            match line {
                Line::Begin { scope, product } => {
                    let id = product.product_id.clone().unwrap_or_default();
                    *open.entry((scope, id)).or_insert(0) += 1;
                }
                Line::End { scope, product_id } => {
                    close(&mut open, (scope, product_id));
                }
            }
        }
        Ok(Self {
            path,
            open: Mutex::new(open),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn append(&self, line: &Line) -> io::Result<()> {
        let mut text = serde_json::to_vec(line)?;
        text.push(b'\n');
        let mut file = OpenOptions::new().append(true).open(&self.path)?;
        file.write_all(&text)?;
        file.sync_data()
    }
}

fn close(open: &mut BTreeMap<(String, String), usize>, key: (String, String)) {
    if let Some(n) = open.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            open.remove(&key);
        }
    }
}

/// The readable lines of the file; one cut short by a crash (or not ours) is skipped.
fn read_lines(path: &Path) -> io::Result<Vec<Line>> {
    let mut lines = Vec::new();
    for line in BufReader::new(File::open(path)?).lines() {
        if let Ok(parsed) = serde_json::from_str(&line?) {
            lines.push(parsed);
        }
    }
    Ok(lines)
}

impl Journal for FileJournal {
    fn begin(&self, scope: &str, before: &Product) -> io::Result<()> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        self.append(&Line::Begin {
            scope: scope.to_string(),
            product: Box::new(before.raw().clone()),
        })?;
        *open
            .entry((scope.to_string(), before.id().to_string()))
            .or_insert(0) += 1;
        Ok(())
    }

    fn end(&self, scope: &str, id: &str) -> io::Result<()> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        self.append(&Line::End {
            scope: scope.to_string(),
            product_id: id.to_string(),
        })?;
        close(&mut open, (scope.to_string(), id.to_string()));
        if open.is_empty() {
            // Nothing open: what the file holds is history, and it would only grow.
            let file = OpenOptions::new().write(true).open(&self.path)?;
            file.set_len(0)?;
            file.sync_data()?;
        }
        Ok(())
    }

    fn pending(&self, scope: &str) -> io::Result<Vec<Product>> {
        let _open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let mut bodies: BTreeMap<String, Vec<types::ProductDetails>> = BTreeMap::new();
        for line in read_lines(&self.path)? {
            match line {
                Line::Begin { scope: s, product } if s == scope => {
                    let id = product.product_id.clone().unwrap_or_default();
                    bodies.entry(id).or_default().push(*product);
                }
                Line::End {
                    scope: s,
                    product_id,
                } if s == scope => {
                    if let Some(open) = bodies.get_mut(&product_id) {
                        open.pop();
                    }
                }
                _ => {}
            }
        }
        // The earliest open body of a product is how it was before any recreate touched it.
        Ok(bodies
            .into_values()
            .filter_map(|open| open.into_iter().next())
            .filter_map(|raw| Product::try_from(raw).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str, name: &str) -> Product {
        let raw = types::ProductDetails {
            product_id: Some(id.into()),
            product_name: Some(name.into()),
            ..Default::default()
        };
        Product::try_from(raw).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn open_recreates_survive_a_reopen_and_ended_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let journal = FileJournal::open(&path).unwrap();
        assert_eq!(journal.path(), path);
        journal.begin("T1/S", &product("A", "Chair")).unwrap();
        journal.begin("T1/S", &product("B", "Table")).unwrap();
        journal.begin("T1/OTHER", &product("A", "Other")).unwrap();
        journal.end("T1/S", "B").unwrap();
        // A crash in the middle of a line.
        OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"{\"begin\":{\"scope\":\"T1/S\",\"prod"))
            .unwrap();
        drop(journal);

        let journal = FileJournal::open(&path).unwrap();
        let pending = journal.pending("T1/S").unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!((pending[0].id(), pending[0].name()), ("A", "Chair"));
        assert_eq!(journal.pending("T1/OTHER").unwrap()[0].name(), "Other");
        assert!(journal.pending("T2/S").unwrap().is_empty());

        journal.end("T1/S", "A").unwrap();
        assert!(
            std::fs::metadata(&path).unwrap().len() > 0,
            "T1/OTHER is open"
        );
        journal.end("T1/OTHER", "A").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        assert!(journal.pending("T1/S").unwrap().is_empty());
    }

    /// Two catalogs may hold the same product id: ending its recreate in one leaves the
    /// other's open, to be restored.
    #[test]
    fn an_end_in_one_catalog_leaves_the_same_id_open_in_another() {
        let dir = tempfile::tempdir().unwrap();
        let journal = FileJournal::open(dir.path().join("j")).unwrap();
        journal.begin("T1/S", &product("A", "Chair")).unwrap();
        journal.begin("T1/OTHER", &product("A", "Other")).unwrap();
        journal.end("T1/OTHER", "A").unwrap();
        let pending = journal.pending("T1/S").unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].name(), "Chair");
        assert!(journal.pending("T1/OTHER").unwrap().is_empty());
    }

    #[test]
    fn the_first_open_body_is_the_one_restored() {
        let dir = tempfile::tempdir().unwrap();
        let journal = FileJournal::open(dir.path().join("j")).unwrap();
        journal.begin("s", &product("A", "before")).unwrap();
        journal.begin("s", &product("A", "later")).unwrap();
        assert_eq!(journal.pending("s").unwrap()[0].name(), "before");
    }
}
