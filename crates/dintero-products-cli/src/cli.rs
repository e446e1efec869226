//! The command line's grammar: every command, flag and help text, as clap derive types.

use crate::files::FileFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};
use dintero_products::MaxDeletes;
use std::path::PathBuf;

/// The CSV and JSON Lines formats, shown by the help of the commands that read or write files.
pub(crate) const FILES_HELP: &str = include_str!("columns.txt");

const MAIN_HELP: &str = "\
EXAMPLES
  # Try every command on a demo catalog, no account needed
  dintero-products --demo products list --catalog DEMO
  dintero-products --demo products export --catalog DEMO --format csv --output demo.csv
  dintero-products --demo products sync --catalog DEMO demo.csv --dry-run

  # Against an account: credentials from the environment
  export DINTERO_ACCOUNT_ID=T12345678 DINTERO_CLIENT_ID=... DINTERO_CLIENT_SECRET=...
  dintero-products catalogs list
  dintero-products products import --catalog S23 products.csv --report report.jsonl

CREDENTIALS
  DINTERO_ACCOUNT_ID, DINTERO_CLIENT_ID, DINTERO_CLIENT_SECRET, DINTERO_BASE_URL and
  DINTERO_AUDIENCE, or the flags of the same names. The secret is read only from
  DINTERO_CLIENT_SECRET or --client-secret-file (`-` for standard input), and never printed.

OUTPUT
  Data goes to standard output (or the file --output names); progress, notes and errors go
  to standard error. Listings are a table on a terminal and JSON Lines otherwise
  (--format table|json).

EXIT STATUS
  0 everything went through; 1 some rows or writes failed, a request failed, a change was
  held back for want of consent (--allow-recreate, --yes) or a plan was refused;
  2 a usage or configuration error (a bad flag, missing credentials, an unreadable file).";

/// `dintero-products`: the catalogs, groups and products of a Dintero account, from a shell.
#[derive(Debug, Parser)]
#[command(
    name = "dintero-products",
    version,
    about = "The catalogs, groups and products of a Dintero account: list, export, import and sync",
    after_help = MAIN_HELP,
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Where to connect, and how.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes, before or after the command's name.
///
/// A flag wins over its `DINTERO_*` variable, which wins over the default. The help names each
/// variable but never shows its value (`hide_env_values`): a help pasted into an issue should not
/// carry an account's settings. The client secret has no flag, so that it never shows in a
/// process list: it comes from `DINTERO_CLIENT_SECRET` (see `Env`) or `--client-secret-file`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The account: T (test) or P (production) and 8 digits
    #[arg(
        short = 'a',
        long,
        global = true,
        value_name = "AID",
        env = "DINTERO_ACCOUNT_ID",
        hide_env_values = true
    )]
    pub account_id: Option<String>,

    /// The API client's id
    #[arg(
        long,
        global = true,
        value_name = "ID",
        env = "DINTERO_CLIENT_ID",
        hide_env_values = true
    )]
    pub client_id: Option<String>,

    /// Read the client secret from FILE (`-`: standard input) instead of DINTERO_CLIENT_SECRET
    #[arg(long, global = true, value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,

    /// The API's base URL (default https://api.dintero.com/v1)
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "DINTERO_BASE_URL",
        hide_env_values = true
    )]
    pub base_url: Option<String>,

    /// The audience tokens are asked for, if not Dintero's
    #[arg(
        long,
        global = true,
        value_name = "AUDIENCE",
        env = "DINTERO_AUDIENCE",
        hide_env_values = true
    )]
    pub audience: Option<String>,

    /// Findings of `doctor --save FILE`: what rests on a guess about the API follows them
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "DINTERO_API_FACTS",
        hide_env_values = true
    )]
    pub api_facts: Option<PathBuf>,

    /// Run against a demo server started in this process, with catalog DEMO (24 products in 4
    /// groups); no account needed, nothing leaves this machine, nothing is kept
    #[arg(long, global = true)]
    pub demo: bool,

    /// No progress lines or bars on standard error (errors are still shown)
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, create and delete catalogs
    #[command(subcommand, arg_required_else_help = true)]
    Catalogs(CatalogsCommand),
    /// List, get, create and delete product groups
    #[command(subcommand, arg_required_else_help = true)]
    Groups(GroupsCommand),
    /// List, get, delete, export, import and sync the products of a catalog
    #[command(subcommand, arg_required_else_help = true)]
    Products(ProductsCommand),
    /// Check every guess about Dintero's API against the account: a table of facts
    #[command(after_help = "\
Dintero publishes no complete description of the Products API, so this tool and its SDK rest
on guesses: that a GET of one product exists, how the list filters match, whether an update
replaces or merges, whether it can change a product's groups, and more. doctor checks each
guess against the account and prints a table: the fact, what the SDK assumes, what the server
did, whether it holds.

Read-only by default (lists and GETs). --write adds the write probes, on a test account only
(T...; a production account is refused whatever the flags): inside a catalog and groups it
creates with a unique prefix and deletes at the end, also after a failed probe or Ctrl-C.
It never touches other data.

EXAMPLES
  dintero-products doctor
  dintero-products doctor --write --save api-facts.json
  dintero-products doctor --write --json --record doctor.jsonl

--save FILE keeps the findings; give them to the SDK (DINTERO_API_FACTS=FILE, or the SDK's
ClientBuilder::api_facts) and what rests on a guess follows what was found. --record FILE
writes every request and response as JSON Lines, without the secret or any token: send it
with the table when a fact does not hold.

EXIT STATUS
  0 every fact holds (or was not checked); 1 a fact does not hold; 2 the doctor could not
  run (credentials, --write on a production account).")]
    Doctor(DoctorArgs),
    /// Print a shell completion script
    #[command(after_help = "\
EXAMPLES
  dintero-products completions bash > ~/.local/share/bash-completion/completions/dintero-products
  dintero-products completions zsh > \"${fpath[1]}/_dintero-products\"
  dintero-products completions fish > ~/.config/fish/completions/dintero-products.fish")]
    Completions {
        /// The shell to complete in
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also probe writes, on a test account, in a catalog and groups of its own
    #[arg(long)]
    pub write: bool,
    /// Print one JSON object: {"<fact>": {"assumed", "observed", "holds"}, ...}
    #[arg(long)]
    pub json: bool,
    /// Save the findings to FILE, for the SDK's api_facts (DINTERO_API_FACTS)
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Write every request and response to FILE as JSON Lines, secrets and tokens removed
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// The prefix of what --write creates (default: DOCTOR-<time>-<random>)
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
}

/// `catalogs ...`
#[derive(Debug, Subcommand)]
pub enum CatalogsCommand {
    /// List the account's catalogs
    #[command(after_help = "\
EXAMPLES
  dintero-products catalogs list
  dintero-products catalogs list --format json --output catalogs.jsonl")]
    List(ListArgs),
    /// Create a catalog
    #[command(after_help = "\
EXAMPLES
  dintero-products catalogs create S23 --name \"Summer 2023\"")]
    Create(CreateArgs),
    /// Delete a catalog and every product in it
    #[command(after_help = "\
Asks for confirmation on a terminal; elsewhere --yes is required.

EXAMPLES
  dintero-products catalogs delete S23
  dintero-products catalogs delete S23 --yes")]
    Delete {
        /// The catalog's id
        id: String,
        /// Do not ask for confirmation
        #[arg(short = 'y', long)]
        yes: bool,
    },
}

/// `groups ...`
#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// List the account's product groups
    #[command(after_help = "\
EXAMPLES
  dintero-products groups list
  dintero-products groups list --format json | jq -r .group_id")]
    List(ListArgs),
    /// Show one group
    #[command(after_help = "\
EXAMPLES
  dintero-products groups get CHAIRS
  dintero-products groups get CHAIRS --format json")]
    Get(GetArgs),
    /// Create a group
    #[command(after_help = "\
EXAMPLES
  dintero-products groups create CHAIRS --name Chairs")]
    Create(CreateArgs),
    /// Delete a group
    #[command(after_help = "\
EXAMPLES
  dintero-products groups delete CHAIRS")]
    Delete {
        /// The group's id
        id: String,
    },
}

/// `products ...`
#[derive(Debug, Subcommand)]
pub enum ProductsCommand {
    /// List the products of a catalog
    #[command(after_help = "\
EXAMPLES
  dintero-products products list --catalog S23
  dintero-products products list -c S23 --name chair --limit 20
  dintero-products products list -c S23 --format json > products.jsonl")]
    List {
        /// The catalog
        #[arg(short = 'c', long, value_name = "CATALOG")]
        catalog: String,
        /// Only products whose name matches (the API decides how)
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Show one product
    #[command(after_help = "\
EXAMPLES
  dintero-products products get --catalog S23 CH-1001
  dintero-products products get -c S23 CH-1001 --format json")]
    Get {
        /// The catalog
        #[arg(short = 'c', long, value_name = "CATALOG")]
        catalog: String,
        #[command(flatten)]
        get: GetArgs,
    },
    /// Delete products
    #[command(after_help = "\
EXAMPLES
  dintero-products products delete --catalog S23 CH-1001
  dintero-products products delete -c S23 CH-1001 CH-1002 CH-1003")]
    Delete {
        /// The catalog
        #[arg(short = 'c', long, value_name = "CATALOG")]
        catalog: String,
        /// The products' ids
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
        /// Deletes in flight at once (1 to 64)
        #[arg(short = 'j', long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
        concurrency: u16,
    },
    /// Write every product of a catalog to a file or standard output, as it is read
    #[command(after_help = format!("\
The products are written as they arrive, page after page: memory stays the same whatever the
catalog's size (a workbook's rows wait in a temporary file beside the output until it is put
together). With --output, the file is written beside its destination and renamed when
complete, so a failed export leaves no partial file.

EXAMPLES
  dintero-products products export --catalog S23 > s23.jsonl
  dintero-products products export -c S23 --format csv --output s23.csv
  dintero-products products export -c S23 -o s23.xlsx       (the format from the extension)
  dintero-products products export -c S23 -o stock.csv --stock-columns OSL-01,BGO-02
  dintero-products products export -c S23 -o stock.xlsx --stock-columns

{FILES_HELP}"))]
    Export(ExportArgs),
    /// Create or update the products of a file; the catalog's other products are left alone
    #[command(after_help = format!("\
Each row creates its product, or, when the id exists, changes the fields the file names and
keeps the others; a `command` column says otherwise per row (NEW, UPDATE, REPLACE, DELETE,
IGNORE: see the columns below). The plan is printed first, as `products sync` prints it (+ create, ~ update,
and apart, under \"needs consent:\", ± recreate and ! price jump); then it is applied, groups
first. Products in the catalog but not in the file are never touched. A bad row is reported
with its file, line and column, and the other rows still go through; an id given twice is a
bad row on its later line. Importing again right after changes nothing.

{JOB_RULES}
EXAMPLES
  dintero-products products import --catalog S23 products.csv --dry-run
  dintero-products products import -c S23 prices.csv --report report.jsonl
  dintero-products products import -c S23 products.jsonl --allow-recreate --yes
  dintero-products products import -c S23 export.txt --format csv --concurrency 16
  dintero-products products import -c S23 prisliste.csv            (Excel's CSV: ; and 1 499,00)
  dintero-products products import -c S23 products.xlsx --dry-run
  dintero-products products import -c S23 stock.csv                 (id,stock:OSL-01)

EXIT STATUS
  0 every row went through (or, with --dry-run, would); 1 some rows were bad, failed or were
  held back for want of consent; 2 a usage or configuration error.

{FILES_HELP}"))]
    Import(ImportArgs),
    /// Make a catalog hold the products of a file: plan, show the diff, apply
    #[command(after_help = format!("\
The plan compares the file with the catalog, sending only list requests, and is printed as a
diff (+ create, ~ update, - delete, and apart, under \"needs consent:\", ± recreate and ! price
jump) with a summary. Then it is applied, groups first. Products in the catalog but not in the
file are kept, unless --prune: then they are deleted, after a confirmation on a terminal
(elsewhere --yes is required). Syncing again right after changes nothing.

{JOB_RULES}
DELETES (--prune)
  A prune deletes at most --max-deletes products (default 10% of the catalog): a plan that
  would delete more is printed and refused, nothing is sent, and the exit status is 1; pass
  --max-deletes 100% (or a count) when the deletes are meant. A file with no product (a header
  alone, an empty .jsonl), a file that cannot be read to its end, or one with bad rows is
  never pruned from.

EXAMPLES
  dintero-products products sync --catalog S23 products.csv --dry-run
  dintero-products products sync -c S23 prices.csv
  dintero-products products sync -c S23 products.csv --allow-recreate
  dintero-products products sync -c S23 products.jsonl --prune --yes --report sync.jsonl
  dintero-products products sync -c S23 products.csv --prune --max-deletes 500 --yes

EXIT STATUS
  0 every change went through (or, with --dry-run, would); 1 some rows were bad, a write
  failed, a change was held back for want of consent, or the plan was refused; 2 a usage or
  configuration error.

{FILES_HELP}"))]
    Sync(SyncArgs),
}

/// What `products import` and `products sync` change, and what they change only with consent.
const JOB_RULES: &str = "\
WHAT CHANGES
  Only the columns in the file (the keys of a JSON line) are changed: a field whose column is
  absent keeps its value, so a file `id,price,currency` changes prices and nothing else. An
  empty cell in a column that is there (a JSON null) clears the field.

CHANGES THAT NEED CONSENT
  Groups: Dintero cannot change an existing product's groups, so a product whose groups change
  is deleted and created again with all its other fields (a recreate): its Dintero id and
  created_at change. Recreates happen only with --allow-recreate; without it the product is
  left untouched, reported as needing consent, and the exit status is 1.
  Prices: a price multiplied or divided by ten or more (kroner typed into a column of øre) is
  applied only with --yes, or after a yes to a question on a terminal; otherwise it is left
  untouched and reported, and the exit status is 1.

THE JOURNAL
  Before a recreate deletes a product, its whole body is written to the journal file
  (--journal, default dintero-products.journal in the current directory), and crossed out once
  the product exists again. If a run is killed between the delete and the create, the next run
  with the same journal creates the product again as it was before doing anything else. Keep
  the file until a run has finished; run one job at a time per journal. It is created only for
  runs with --allow-recreate, and removed when such a run leaves it empty.
";

/// The output flags of a listing.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format [default: table on a terminal, json (JSON Lines) otherwise]
    #[arg(short = 'f', long, value_enum)]
    pub format: Option<ListFormat>,
    /// Write to FILE instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// At most N items
    #[arg(short = 'l', long, value_name = "N")]
    pub limit: Option<usize>,
}

/// `get` of one object.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The id
    pub id: String,
    /// Output format [default: table on a terminal, json otherwise]
    #[arg(short = 'f', long, value_enum)]
    pub format: Option<ListFormat>,
}

/// `create` of a catalog or a group.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The id to give it
    pub id: String,
    /// The name customers see
    #[arg(short = 'n', long)]
    pub name: String,
}

/// The flags `products import` and `products sync` share.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// The catalog
    #[arg(short = 'c', long, value_name = "CATALOG")]
    pub catalog: String,
    /// The file: .csv / .tsv, .xlsx, or .jsonl / .ndjson
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The file's format, whatever its extension
    #[arg(short = 'f', long, value_enum)]
    pub format: Option<FileFormat>,
    /// A CSV file's separator: `,` `;` or `tab` (found from the header row when not given)
    #[arg(short = 'd', long, value_name = "SEP", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Print the plan and stop: nothing but list requests are sent
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Consent to recreates: products whose groups change are deleted and created again (their
    /// Dintero id and created_at change)
    #[arg(long)]
    pub allow_recreate: bool,
    /// Do not ask: apply price changes by a factor of ten or more, and (sync --prune) delete
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Where recreates write each product before deleting it, so a killed run loses nothing;
    /// the next run with the same journal repairs what it left
    #[arg(long, value_name = "FILE", default_value = "dintero-products.journal")]
    pub journal: PathBuf,
    /// Writes in flight at once (1 to 64)
    #[arg(short = 'j', long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Write one JSON line per row to FILE: {"line", "id", "command", "outcome", "error"}
    #[arg(short = 'r', long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// `products export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The catalog
    #[arg(short = 'c', long, value_name = "CATALOG")]
    pub catalog: String,
    /// The file format [default: from --output's extension, else jsonl]
    #[arg(short = 'f', long, value_enum)]
    pub format: Option<FileFormat>,
    /// Write to FILE instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A stock:<location_id> column for each location, in place of the `locations` column
    /// (CSV and xlsx): the locations named, separated by commas, or without a value every
    /// location of the catalog's products (found by listing the catalog once more)
    #[arg(
        long,
        value_name = "LOCATIONS",
        num_args = 0..=1,
        default_missing_value = ""
    )]
    pub stock_columns: Option<String>,
}

/// `products import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub job: JobArgs,
}

/// `products sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub job: JobArgs,
    /// Delete the catalog's products that are not in the file
    #[arg(long)]
    pub prune: bool,
    /// With --prune: refuse a plan that deletes more than N products, or N% of the catalog
    #[arg(long, value_name = "N|N%", default_value = "10%", value_parser = parse_max_deletes)]
    pub max_deletes: MaxDeletes,
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" => Ok(b'\t'),
        "|" | "pipe" => Ok(b'|'),
        _ => Err("write `,` `;` `tab` or `|`".to_string()),
    }
}

fn parse_max_deletes(text: &str) -> Result<MaxDeletes, String> {
    text.parse()
        .map_err(|e: dintero_products::InvalidInput| e.to_string())
}

/// How a listing is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table, for people
    Table,
    /// JSON Lines, one object a line with the API's field names, for programs
    #[value(alias = "jsonl", alias = "ndjson")]
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_grammar_is_consistent() {
        // clap's own checks: no clashing short flags, defaults within their ranges, ...
        Cli::command().debug_assert();
    }
}
