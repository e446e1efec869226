//! `cargo xtask bench`: the SDK against the limit of this machine, all sides in one run so the
//! ratios hold on a noisy machine. Prints a table and `ratio NAME: VALUE` lines.
//!
//! 1. Streaming 300,000 products (limit 100) from the fake on loopback with (a) a hand-written
//!    loop over reqwest + serde_json into the same types, (b) a hand-written loop over the
//!    generated client, (c) the SDK's `items()` stream: as passes over a catalog of 2,000, the
//!    sides taking turns pass by pass (rotating order), and each side's time summed. Then the
//!    client's CPU time per page of each side, the same way in a child process (the fake runs in
//!    this one, so its work is not counted). Turns of a few milliseconds keep the ratios true on
//!    a machine whose speed drifts: whole runs of 100,000 products, side after side, gave the
//!    same side per-page CPU times 20% apart from one run to the next.
//! 2. With 5 ms of server latency and 5 ms of consumer work per page: the SDK with prefetch
//!    against the same stream with prefetch off (a plain sequential loop).
//! 3. Peak resident memory of a separate client process streaming 10,000 and 1,000,000
//!    products (the fake runs in this process, so it is not counted).
//! 4. Catalog sync: 10,000 new products with 5 ms of server latency, 16 writes in flight against
//!    1; the same sync again (it must write nothing); 5,000 new products against a fake limited
//!    to 200 requests per second; and the peak memory of planning 1,000,000 products over
//!    planning 100,000, per product.
//! 5. Peak resident memory of a child process running the command line's
//!    `products export --format csv --output FILE` (its library entry, `dintero_products_cli::run`)
//!    on a catalog of 1,000,000 products against one of 10,000 (100,000 in `--quick`); and the
//!    same with `--format xlsx` (rust_xlsxwriter's constant-memory mode).
//!
//! `--quick` is a smaller run; `--throughput-only` stops after 1 (to profile the listing path,
//! see `BENCH_CPU_WRAPPER` at [`cpu_child_run`]).

use dintero_products::{Currency, Desired, NewProduct, PageSize, Price, RetryPolicy};
use dintero_products_client::types;
use dintero_products_e2e::{ACCOUNT, client_for, client_with};
use dintero_products_fake::{FakeServer, RateLimit};
use futures::TryStreamExt;
use std::num::NonZeroU64;
use std::time::{Duration, Instant};

const CATALOG: &str = "BENCH";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, base_url, id, secret, token, passes] = args.as_slice()
        && flag == "--cpu-child"
    {
        // One thread does all of the client's work: on a multi-thread runtime, idle workers
        // spin looking for tasks before they park, and that varies from run to run by more
        // than the SDK's own cost (measured: ±20% per page for the same side).
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        return runtime.block_on(async {
            let sides = Sides::new(base_url, id, secret, token)?;
            cpu_child(&sides, passes.parse()?).await
        });
    }
    tokio::runtime::Runtime::new()?.block_on(run(args))
}

async fn run(args: Vec<String>) -> Result<()> {
    if let [flag, base_url, id, secret, n] = args.as_slice() {
        match flag.as_str() {
            "--memory-child" => return memory_child(base_url, id, secret, n.parse()?).await,
            "--plan-memory-child" => {
                return plan_memory_child(base_url, id, secret, n.parse()?).await;
            }
            "--cli-export-memory-child" => {
                return cli_export_memory_child(base_url, id, secret, n.parse()?, Export::Csv)
                    .await;
            }
            "--cli-export-xlsx-memory-child" => {
                return cli_export_memory_child(base_url, id, secret, n.parse()?, Export::Xlsx)
                    .await;
            }
            _ => {}
        }
    }
    let quick = args.iter().any(|a| a == "--quick");
    let passes = if quick { 30 } else { 150 };

    println!(
        "bench: {} products per side, limit 100, as {passes} passes over {PASS} taking turns \
         (rotating order)\n",
        passes * PASS
    );
    let (wall, cpu) = throughput(passes).await?;
    println!(
        "{:<34} {:>12} {:>14} {:>14}",
        "side", "items/s", "wall us/page", "cpu us/page"
    );
    for ((name, wall), cpu) in SIDES.iter().zip(&wall).zip(&cpu) {
        println!(
            "{name:<34} {:>12.0} {:>14.1} {:>14.1}",
            f64::from(PAGE) / wall.as_secs_f64(),
            wall.as_secs_f64() * 1e6,
            cpu.as_secs_f64() * 1e6
        );
    }
    println!(
        "(wall: in this process, the fake beside it; cpu: the client's own CPU time, user + \
         system, all its threads, in a child process apart from the fake; both per page)"
    );
    let (raw, generated, facade) = (wall[0], wall[1], wall[2]);
    println!();
    if args.iter().any(|a| a == "--throughput-only") {
        // For profiling the listing path: the table above and its ratios, nothing else.
        print_throughput_ratios(raw, generated, facade, &cpu);
        return Ok(());
    }

    let pages = if quick { 20 } else { 50 };
    let prefetched = prefetch(pages).await?;
    println!("{pages} pages, 5 ms server latency + 5 ms consumer work per page (ms)");
    println!("{:<34} {:>10} {:>10}", "stream", "sequential", "prefetch");
    for (name, (off, on)) in ["pages()", "items() (1 ms per 20 items)"]
        .iter()
        .zip(prefetched)
    {
        println!(
            "{:<34} {:>10.1} {:>10.1}",
            name,
            off.as_secs_f64() * 1e3,
            on.as_secs_f64() * 1e3
        );
    }
    println!();

    let sizes: [u32; 2] = if quick {
        [10_000, 100_000]
    } else {
        [10_000, 1_000_000]
    };
    let peaks = memory(sizes).await?;
    println!("peak resident memory of a client process streaming N products");
    for (n, kib) in sizes.iter().zip(&peaks) {
        println!("{:<34} {:>10} KiB", format!("N = {n}"), kib);
    }
    println!();

    let sync_products = if quick { 2_000 } else { 10_000 };
    let (sync_parallel, sync_sequential, resync_writes, resync_lists) =
        sync_speed(sync_products).await?;
    println!("syncing {sync_products} new products, 5 ms server latency per request");
    println!(
        "{:<34} {:>10.1}",
        "1 write in flight",
        sync_sequential.as_secs_f64() * 1e3
    );
    println!(
        "{:<34} {:>10.1}",
        "16 writes in flight",
        sync_parallel.as_secs_f64() * 1e3
    );
    println!("the same sync again: {resync_writes} writes, {resync_lists} list requests");
    println!();

    let limited_products = if quick { 1_000 } else { 5_000 };
    let limited = rate_limited(limited_products, 200).await?;
    println!(
        "syncing {limited_products} new products against a limit of 200 requests/s (burst 200), 16 in flight"
    );
    println!(
        "{:<34} {:>10.1} writes/s, {} of {} requests answered 429 ({:.1}%)",
        "write throughput",
        limited.writes_per_second,
        limited.rejected,
        limited.requests,
        100.0 * limited.rejected as f64 / limited.requests as f64
    );
    println!();

    let plan_sizes: [u32; 2] = if quick {
        [10_000, 100_000]
    } else {
        [100_000, 1_000_000]
    };
    let plan_peaks = plan_memory(plan_sizes).await?;
    println!(
        "peak resident memory of a client process planning a sync of N products (all updates)"
    );
    for (n, kib) in plan_sizes.iter().zip(&plan_peaks) {
        println!("{:<34} {:>10} KiB", format!("N = {n}"), kib);
    }
    println!();

    let export_sizes: [u32; 2] = if quick {
        [10_000, 100_000]
    } else {
        [10_000, 1_000_000]
    };
    let export_peaks = cli_export_memory(export_sizes).await?;
    for (format, peaks) in [Export::Csv, Export::Xlsx].iter().zip(&export_peaks) {
        println!(
            "peak resident memory of a process running `dintero-products products export --format {} --output FILE` on N products",
            format.name()
        );
        let whole = match format {
            Export::Csv => "the whole process",
            // The child reads the workbook back to check it; that is in its time too.
            Export::Xlsx => "the whole process, reading the workbook back included",
        };
        for (n, (kib, wall)) in export_sizes.iter().zip(peaks) {
            println!(
                "{:<34} {:>10} KiB {:>10.0} products/s ({whole})",
                format!("N = {n}"),
                kib,
                f64::from(*n) / wall.as_secs_f64()
            );
        }
        println!();
    }

    print_throughput_ratios(raw, generated, facade, &cpu);
    for (name, (off, on)) in ["prefetch/sequential", "items prefetch/sequential"]
        .iter()
        .zip(prefetched)
    {
        println!("ratio {name}: {:.3}", on.as_secs_f64() / off.as_secs_f64());
    }
    println!(
        "ratio memory {}/{}: {:.3}",
        short(sizes[1]),
        short(sizes[0]),
        peaks[1] as f64 / peaks[0] as f64
    );
    println!(
        "ratio sync16/sequential: {:.3}",
        sync_parallel.as_secs_f64() / sync_sequential.as_secs_f64()
    );
    println!("resync writes: {resync_writes}");
    println!(
        "ratio rate-limited/limit: {:.3}",
        limited.writes_per_second / 200.0
    );
    let extra_kib = plan_peaks[1].saturating_sub(plan_peaks[0]);
    println!(
        "sync bytes/product: {:.0}",
        (extra_kib * 1024) as f64 / f64::from(plan_sizes[1] - plan_sizes[0])
    );
    let [csv_peaks, xlsx_peaks] = &export_peaks;
    println!(
        "ratio cli export memory {}/{}: {:.3}",
        short(export_sizes[1]),
        short(export_sizes[0]),
        csv_peaks[1].0 as f64 / csv_peaks[0].0 as f64
    );
    println!(
        "ratio cli export memory xlsx {}/{}: {:.3}",
        short(export_sizes[1]),
        short(export_sizes[0]),
        xlsx_peaks[1].0 as f64 / xlsx_peaks[0].0 as f64
    );
    Ok(())
}

fn print_throughput_ratios(raw: Duration, generated: Duration, facade: Duration, cpu: &[Duration]) {
    println!(
        "ratio facade/raw: {:.3}",
        raw.as_secs_f64() / facade.as_secs_f64()
    );
    println!(
        "ratio generated/raw: {:.3}",
        raw.as_secs_f64() / generated.as_secs_f64()
    );
    println!(
        "ratio cpu facade/raw: {:.3}",
        cpu[2].as_secs_f64() / cpu[0].as_secs_f64()
    );
    println!(
        "ratio cpu generated/raw: {:.3}",
        cpu[1].as_secs_f64() / cpu[0].as_secs_f64()
    );
}

fn cli_catalog(n: u32) -> String {
    format!("CLI{n}")
}

/// A file format the command line exports, measured apart.
#[derive(Clone, Copy)]
enum Export {
    Csv,
    Xlsx,
}

impl Export {
    fn name(self) -> &'static str {
        match self {
            Export::Csv => "csv",
            Export::Xlsx => "xlsx",
        }
    }

    fn child_flag(self) -> &'static str {
        match self {
            Export::Csv => "--cli-export-memory-child",
            Export::Xlsx => "--cli-export-xlsx-memory-child",
        }
    }
}

/// Peak RSS (KiB) and wall time of a child process exporting a catalog of N products to a CSV
/// file, then to an .xlsx file, through the command line's library entry, for each size; the
/// fake runs in this process, so it is not counted. Indexed by format (CSV, xlsx), then size.
async fn cli_export_memory(sizes: [u32; 2]) -> Result<[Vec<(u64, Duration)>; 2]> {
    let fake = FakeServer::start().await;
    let mut peaks = [Vec::new(), Vec::new()];
    for n in sizes {
        fake.seed_catalog(ACCOUNT, &cli_catalog(n), "CLI export");
        fake.seed_products(ACCOUNT, &cli_catalog(n), n);
        for (format, peaks) in [Export::Csv, Export::Xlsx].into_iter().zip(&mut peaks) {
            let started = Instant::now();
            let peak = child_peak(&fake, format.child_flag(), n).await?;
            peaks.push((peak, started.elapsed()));
        }
    }
    Ok(peaks)
}

/// The child: `dintero-products products export --catalog CLI<n> --format F --output FILE`,
/// as the binary's `main` runs it, then a check that the file holds a header and n rows (a
/// workbook's read back through the command line's reader, after the peak is taken).
async fn cli_export_memory_child(
    base_url: &str,
    id: &str,
    secret: &str,
    n: u32,
    format: Export,
) -> Result<()> {
    let file = std::env::temp_dir().join(format!(
        "dintero-products-bench-{}-{n}.{}",
        std::process::id(),
        format.name()
    ));
    let path = file.to_string_lossy().into_owned();
    let env = dintero_products_cli::Env::empty().set("DINTERO_CLIENT_SECRET", secret);
    let args = [
        "dintero-products",
        "--quiet",
        "--account-id",
        ACCOUNT,
        "--client-id",
        id,
        "--base-url",
        base_url,
        "products",
        "export",
        "--catalog",
        &cli_catalog(n),
        "--format",
        format.name(),
        "--output",
        &path,
    ];
    let code = dintero_products_cli::run_code(args, &env).await;
    // Read before the check below, which reads the file.
    let peak = peak_rss_kib()?;
    let lines = match format {
        Export::Csv => count_lines(&file),
        Export::Xlsx => count_rows(&file).map(|rows| rows + 1),
    };
    let _ = std::fs::remove_file(&file);
    if code != 0 {
        return Err(format!("the export exited with {code}").into());
    }
    if lines? != u64::from(n) + 1 {
        return Err(format!("the export of {n} products is not a header and {n} rows").into());
    }
    println!("peak_rss_kib={peak}");
    Ok(())
}

/// The product rows of a workbook, each read as an import reads it; one that cannot be is an
/// error.
fn count_rows(path: &std::path::Path) -> Result<u64> {
    use dintero_products_cli::files::{Dialect, FileFormat, open};
    let mut rows = 0;
    for row in open(path, FileFormat::Xlsx, Dialect::default())? {
        row?;
        rows += 1;
    }
    Ok(rows)
}

/// Lines in a file, read in blocks (the file can be large).
fn count_lines(path: &std::path::Path) -> Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut block = vec![0u8; 64 * 1024];
    let mut lines = 0;
    loop {
        let read = file.read(&mut block)?;
        if read == 0 {
            return Ok(lines);
        }
        lines += block[..read].iter().filter(|b| **b == b'\n').count() as u64;
    }
}

/// `n` new products for a sync, all different.
fn new_products(n: u32) -> Desired {
    Desired::products_from(move || {
        (0..n).map(|i| {
            NewProduct::new(format!("Bench {i}"))
                .id(format!("B{i:07}"))
                .price(Price::new(10_000 + i64::from(i), Currency::NOK))
                .unit("stk")
        })
    })
}

/// Wall time of a sync of `n` new products with 16 writes in flight and with 1, and what a
/// second sync right after the first sends.
async fn sync_speed(n: u32) -> Result<(Duration, Duration, usize, usize)> {
    let mut walls = Vec::new();
    let mut resync = (0, 0);
    for concurrency in [16, 1] {
        let fake = FakeServer::builder()
            .latency(Duration::from_millis(5))
            .start()
            .await?;
        fake.seed_catalog(ACCOUNT, CATALOG, "Bench");
        let client = client_for(&fake);
        client.catalogs().list().send().await?; // the token, outside the timing
        let sync = client
            .products(CATALOG)
            .sync(new_products(n))
            .concurrency(concurrency);
        let started = Instant::now();
        let plan = sync.plan().await?;
        let report = sync.apply(&plan).await?;
        walls.push(started.elapsed());
        if report.created != n as usize {
            return Err(format!("created {} of {n}", report.created).into());
        }
        if concurrency == 16 {
            fake.clear_requests();
            let again = sync.plan().await?;
            sync.apply(&again).await?;
            let log = fake.requests();
            let writes = log.iter().filter(|r| r.method != "GET").count();
            resync = (writes, log.len() - writes);
        }
    }
    Ok((walls[0], walls[1], resync.0, resync.1))
}

struct Limited {
    writes_per_second: f64,
    rejected: u64,
    requests: usize,
}

/// Write throughput of a sync of `n` new products against a fake limited to `limit` requests
/// per second.
async fn rate_limited(n: u32, limit: u32) -> Result<Limited> {
    let fake = FakeServer::start().await;
    fake.seed_catalog(ACCOUNT, CATALOG, "Bench");
    let client = client_for(&fake);
    client.catalogs().list().send().await?; // the token, outside the limit
    let sync = client
        .products(CATALOG)
        .sync(new_products(n))
        .concurrency(16);
    let plan = sync.plan().await?;
    fake.clear_requests();
    fake.set_rate_limit(RateLimit::per_second(limit).burst(limit));
    let started = Instant::now();
    let report = sync.apply(&plan).await?;
    let wall = started.elapsed();
    if report.created != n as usize {
        return Err(format!("created {} of {n}", report.created).into());
    }
    Ok(Limited {
        writes_per_second: f64::from(n) / wall.as_secs_f64(),
        rejected: fake.rate_limited_count(),
        requests: fake.requests().len(),
    })
}

/// Peak RSS (KiB) of a child process planning a sync of N products against a catalog of N
/// (every one to update), for each size.
async fn plan_memory(sizes: [u32; 2]) -> Result<Vec<u64>> {
    let fake = FakeServer::start().await;
    let mut peaks = Vec::new();
    for n in sizes {
        fake.seed_catalog(ACCOUNT, &plan_catalog(n), "Plan");
        fake.seed_products(ACCOUNT, &plan_catalog(n), n);
        peaks.push(child_peak(&fake, "--plan-memory-child", n).await?);
    }
    Ok(peaks)
}

fn plan_catalog(n: u32) -> String {
    format!("PLAN{n}")
}

async fn plan_memory_child(base_url: &str, id: &str, secret: &str, n: u32) -> Result<()> {
    let client = dintero_products::Client::builder()
        .account_id(ACCOUNT)
        .client_credentials(id, secret)
        .base_url(base_url)
        .build()?;
    // The seeded products, each with another price: every one an update.
    let desired = Desired::products_from(move || {
        (1..=n).map(|i| {
            NewProduct::new(format!("Product {i:06}"))
                .id(dintero_products_fake::seeded_product_id(i))
                .price(Price::new(1, Currency::NOK))
                .unit("stk")
                .group(dintero_products_fake::seeded_group_id((i - 1) % 5 + 1))
        })
    });
    // 1 øre is a price jump from every seeded price: consented, so each is an update.
    let plan = client
        .products(plan_catalog(n))
        .sync(desired)
        .allow_price_jumps(true)
        .plan()
        .await?;
    let (remote, desired) = plan.sizes();
    if remote != n as usize || desired != n as usize || plan.summary().update != n as usize {
        return Err(format!("planned {:?} for {n}", plan.summary()).into());
    }
    println!("peak_rss_kib={}", peak_rss_kib()?);
    Ok(())
}

fn short(n: u32) -> String {
    if n >= 1_000_000 {
        format!("{}M", n / 1_000_000)
    } else {
        format!("{}k", n / 1_000)
    }
}

/// The products of the catalog each pass streams: 20 pages, a few milliseconds.
const PASS: u32 = 2_000;
/// The page size every side asks for.
const PAGE: u32 = 100;

/// The sides' names, in the order of [`Sides::run`]'s `side`.
const SIDES: [&str; 4] = [
    "(a) raw reqwest + serde_json loop",
    "(b) generated client loop",
    "(c) dintero-products items()",
    "    the same, prefetch off",
];

/// Each side's time per page, summed over `passes` turns: wall time here, with the fake in this
/// process; then CPU time in a child process ([`cpu_child`]).
async fn throughput(passes: u32) -> Result<([Duration; SIDES.len()], [Duration; SIDES.len()])> {
    let fake = FakeServer::start().await;
    fake.seed_catalog(ACCOUNT, CATALOG, "Bench");
    fake.seed_products(ACCOUNT, CATALOG, PASS);
    let token = token(&fake).await?;
    let sides = Sides::new(
        &fake.base_url(),
        fake.client_id(),
        fake.client_secret(),
        &token,
    )?;
    let wall = take_turns(
        &sides,
        passes,
        Instant::now,
        |started| Ok(started.elapsed()),
    )
    .await?;
    let cpu = cpu_child_run(&fake, &token, passes).await?;
    Ok((wall, cpu))
}

/// Streams the catalog `passes` times with every side, the sides taking turns pass by pass in
/// an order that rotates, after one pass each to warm up (connections, the token, the
/// allocator). Returns each side's summed `measure` per page.
async fn take_turns<M>(
    sides: &Sides,
    passes: u32,
    start: impl Fn() -> M,
    measure: impl Fn(M) -> Result<Duration>,
) -> Result<[Duration; SIDES.len()]> {
    for side in 0..SIDES.len() {
        sides.run(side, CATALOG).await?;
    }
    let mut total = [Duration::ZERO; SIDES.len()];
    for pass in 0..passes as usize {
        for step in 0..SIDES.len() {
            let side = (pass + step) % SIDES.len();
            let started = start();
            let count = sides.run(side, CATALOG).await?;
            total[side] += measure(started)?;
            if count != PASS as usize {
                return Err(format!("{} streamed {count} of {PASS}", SIDES[side]).into());
            }
        }
    }
    let pages = passes * PASS.div_ceil(PAGE);
    Ok(total.map(|t| t / pages))
}

/// Runs this program as a child that streams the catalog with every side in turns, and reads
/// each side's CPU time per page.
///
/// With `BENCH_CPU_WRAPPER` set, the child runs under that command (words split on whitespace),
/// to profile the client apart from the fake: `BENCH_CPU_WRAPPER='perf record -g -o
/// /tmp/perf.data --' cargo xtask bench --quick --throughput-only`, or `valgrind
/// --tool=callgrind` for counts of instructions that do not drift with the machine.
async fn cpu_child_run(
    fake: &FakeServer,
    token: &str,
    passes: u32,
) -> Result<[Duration; SIDES.len()]> {
    let flag = "--cpu-child";
    let wrapper = std::env::var("BENCH_CPU_WRAPPER").unwrap_or_default();
    let mut words = wrapper
        .split_whitespace()
        .map(str::to_string)
        .chain([std::env::current_exe()?.to_string_lossy().into_owned()]);
    let program = words.next().ok_or("no program")?;
    let mut child = tokio::process::Command::new(program);
    child.args(words).args([
        flag,
        &fake.base_url(),
        fake.client_id(),
        fake.client_secret(),
        token,
        &passes.to_string(),
    ]);
    let output = child_output(child, flag).await?;
    let mut cpu = [Duration::ZERO; SIDES.len()];
    for (side, cpu) in cpu.iter_mut().enumerate() {
        *cpu = Duration::from_nanos(reported(&output, &format!("cpu_ns_{side}"))?);
    }
    Ok(cpu)
}

/// Runs `child` (this program with `flag`) and reads the number it prints as `key=N`.
async fn child_reports(child: tokio::process::Command, flag: &str, key: &str) -> Result<u64> {
    reported(&child_output(child, flag).await?, key)
}

/// What `child` (this program with `flag`) printed, once it succeeded.
async fn child_output(mut child: tokio::process::Command, flag: &str) -> Result<String> {
    let output = child.output().await?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "{flag} child failed: {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(stdout)
}

/// The number a child printed as `key=N`.
fn reported(stdout: &str, key: &str) -> Result<u64> {
    let prefix = format!("{key}=");
    Ok(stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .ok_or_else(|| format!("no {key} line"))?
        .trim()
        .parse()?)
}

/// The child: every side's CPU time per page, taking turns as [`take_turns`] does.
async fn cpu_child(sides: &Sides, passes: u32) -> Result<()> {
    let cpu = take_turns(sides, passes, cpu_time, |before| {
        let (before, after) = (before?, cpu_time()?);
        if after.threads != before.threads {
            return Err("a thread started or ended during a measured pass".into());
        }
        Ok(Duration::from_nanos(
            after.nanos.saturating_sub(before.nanos),
        ))
    })
    .await?;
    for (side, cpu) in cpu.iter().enumerate() {
        println!("cpu_ns_{side}={}", cpu.as_nanos());
    }
    Ok(())
}

/// The CPU time of every thread of this process so far, and which threads there are.
struct CpuTime {
    nanos: u64,
    threads: Vec<u64>,
}

/// From `/proc/self/task/*/schedstat`, whose first field is the time the thread spent on a CPU,
/// in nanoseconds (`/proc/self/stat` counts in clock ticks, 10 ms, too coarse for a page). A
/// thread that ends takes its time with it, so [`cpu_child`] checks that the set is the same
/// before and after.
fn cpu_time() -> Result<CpuTime> {
    let mut time = CpuTime {
        nanos: 0,
        threads: Vec::new(),
    };
    for task in std::fs::read_dir("/proc/self/task")? {
        let task = task?;
        let schedstat = std::fs::read_to_string(task.path().join("schedstat"))?;
        time.nanos += schedstat
            .split_whitespace()
            .next()
            .ok_or("an empty schedstat")?
            .parse::<u64>()?;
        time.threads
            .push(task.file_name().to_string_lossy().parse::<u64>()?);
    }
    time.threads.sort_unstable();
    Ok(time)
}

/// The four sides, set up against one server: each streams a whole catalog and counts it.
struct Sides {
    http: reqwest::Client,
    base: String,
    token: String,
    generated: dintero_products_client::Client,
    sdk: dintero_products::Client,
}

impl Sides {
    /// `token` serves (a) and (b); the SDK fetches its own with the client credentials.
    fn new(base: &str, id: &str, secret: &str, token: &str) -> Result<Self> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse()?,
        );
        let generated = dintero_products_client::Client::new_with_client(
            base,
            reqwest::Client::builder()
                .default_headers(headers)
                .build()?,
            dintero_products_client::Hooks::none(),
        );
        // As `client_for` sets it up.
        let sdk = dintero_products::Client::builder()
            .account_id(ACCOUNT)
            .client_credentials(id, secret)
            .base_url(base)
            .retry_policy(RetryPolicy::default())
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            http: reqwest::Client::new(),
            base: base.to_string(),
            token: token.to_string(),
            generated,
            sdk,
        })
    }

    /// Streams `catalog` with side (a), (b), (c) or (c) without prefetch (0 to 3).
    async fn run(&self, side: usize, catalog: &str) -> Result<usize> {
        match side {
            0 => raw_loop(&self.http, &self.base, &self.token, catalog).await,
            1 => generated_loop(&self.generated, catalog).await,
            2 => sdk_stream(&self.sdk, catalog, true).await,
            3 => sdk_stream(&self.sdk, catalog, false).await,
            _ => Err(format!("no side {side}").into()),
        }
    }
}

async fn token(fake: &FakeServer) -> Result<String> {
    let response: serde_json::Value = reqwest::Client::new()
        .post(fake.token_url(ACCOUNT))
        .basic_auth(fake.client_id(), Some(fake.client_secret()))
        .json(&serde_json::json!({"grant_type": "client_credentials", "audience": fake.audience(ACCOUNT)}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(response["access_token"]
        .as_str()
        .ok_or("no access_token")?
        .to_string())
}

/// Counts what a side streamed, touching every item so that no side can skip decoding.
#[derive(Default)]
struct Tally {
    count: usize,
    checksum: i64,
}

impl Tally {
    fn item(&mut self, product: &types::ProductDetails) {
        self.count += 1;
        self.checksum += product.unit_gross_price.unwrap_or(0);
    }

    /// Takes a page in; returns the cursor to follow, if the list goes on.
    fn page(&mut self, page: types::ProductList) -> Option<String> {
        page.products.iter().for_each(|p| self.item(p));
        page.starting_after
            .filter(|next| !next.is_empty() && !page.products.is_empty())
    }

    fn finish(self) -> usize {
        std::hint::black_box(self.checksum);
        self.count
    }
}

async fn raw_loop(http: &reqwest::Client, base: &str, token: &str, catalog: &str) -> Result<usize> {
    let url = format!("{base}/accounts/{ACCOUNT}/products/catalogs/{catalog}/products");
    let (mut tally, mut cursor) = (Tally::default(), None::<String>);
    loop {
        let mut request = http.get(&url).bearer_auth(token).query(&[("limit", "100")]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("starting_after", cursor)]);
        }
        let body = request.send().await?.error_for_status()?.bytes().await?;
        let page: types::ProductList = serde_json::from_slice(&body)?;
        cursor = tally.page(page);
        if cursor.is_none() {
            return Ok(tally.finish());
        }
    }
}

async fn generated_loop(client: &dintero_products_client::Client, catalog: &str) -> Result<usize> {
    let (mut tally, mut cursor) = (Tally::default(), None::<String>);
    loop {
        let mut request = client
            .list_products()
            .aid(ACCOUNT)
            .catalog_id(catalog)
            .limit(NonZeroU64::new(100).ok_or("100 is not zero")?);
        if let Some(cursor) = &cursor {
            request = request.starting_after(cursor.as_str());
        }
        let page = request.send().await?.into_inner();
        cursor = tally.page(page);
        if cursor.is_none() {
            return Ok(tally.finish());
        }
    }
}

async fn sdk_stream(
    client: &dintero_products::Client,
    catalog: &str,
    prefetch: bool,
) -> Result<usize> {
    let mut tally = Tally::default();
    let mut items = client
        .products(catalog)
        .list()
        .limit(PageSize::MAX)
        .prefetch(prefetch)
        .items();
    while let Some(product) = items.try_next().await? {
        tally.item(product.raw());
    }
    Ok(tally.finish())
}

/// Wall time of a stream with prefetch off and on, best of three each: `pages()` with the
/// consumer's work after each page, then `items()` with the same work spread over the page
/// (1 ms after every 20th item).
async fn prefetch(pages: u32) -> Result<[(Duration, Duration); 2]> {
    let fake = FakeServer::builder()
        .latency(Duration::from_millis(5))
        .start()
        .await?;
    fake.seed_catalog(ACCOUNT, CATALOG, "Bench");
    fake.seed_products(ACCOUNT, CATALOG, pages * 100);
    let client = client_with(&fake, RetryPolicy::none(), Duration::from_secs(30));
    client.catalogs().list().send().await?; // fetch the token outside the timing
    let list = |on| client.products(CATALOG).list().limit(100).prefetch(on);
    let mut best = [[Duration::MAX; 2]; 2];
    for _ in 0..3 {
        for (slot, on) in best[0].iter_mut().zip([false, true]) {
            let started = Instant::now();
            let mut stream = list(on).pages();
            let mut seen = 0;
            while let Some(page) = stream.try_next().await? {
                seen += page.len();
                tokio::time::sleep(Duration::from_millis(5)).await; // the consumer's work
            }
            assert_eq!(seen, pages as usize * 100);
            *slot = (*slot).min(started.elapsed());
        }
        for (slot, on) in best[1].iter_mut().zip([false, true]) {
            let started = Instant::now();
            let mut stream = list(on).items();
            let mut seen = 0;
            while stream.try_next().await?.is_some() {
                seen += 1;
                if seen % 20 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            assert_eq!(seen, pages as usize * 100);
            *slot = (*slot).min(started.elapsed());
        }
    }
    Ok(best.map(|[off, on]| (off, on)))
}

/// Peak RSS (KiB) of a child process streaming each size from a fake server in this process.
async fn memory(sizes: [u32; 2]) -> Result<Vec<u64>> {
    let fake = FakeServer::start().await;
    fake.seed_catalog(ACCOUNT, CATALOG, "Bench");
    fake.seed_products(ACCOUNT, CATALOG, sizes[1]);
    let mut peaks = Vec::new();
    for n in sizes {
        peaks.push(child_peak(&fake, "--memory-child", n).await?);
    }
    Ok(peaks)
}

/// Runs this program as a child with `flag` against `fake`, and reads the peak RSS it reports.
async fn child_peak(fake: &FakeServer, flag: &str, n: u32) -> Result<u64> {
    let mut child = tokio::process::Command::new(std::env::current_exe()?);
    child.args([
        flag,
        &fake.base_url(),
        fake.client_id(),
        fake.client_secret(),
        &n.to_string(),
    ]);
    child_reports(child, flag, "peak_rss_kib").await
}

/// This process's peak resident memory, from `/proc/self/status`.
fn peak_rss_kib() -> Result<String> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    Ok(status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .to_string())
}

async fn memory_child(base_url: &str, id: &str, secret: &str, n: usize) -> Result<()> {
    let client = dintero_products::Client::builder()
        .account_id(ACCOUNT)
        .client_credentials(id, secret)
        .base_url(base_url)
        .build()?;
    let mut items = client
        .products(CATALOG)
        .list()
        .limit(100)
        .max_items(n)
        .items();
    let mut count = 0;
    while items.try_next().await?.is_some() {
        count += 1;
    }
    if count != n {
        return Err(format!("streamed {count} of {n}").into());
    }
    println!("peak_rss_kib={}", peak_rss_kib()?);
    Ok(())
}
