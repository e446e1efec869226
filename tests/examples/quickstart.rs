//! The SDK in a minute, with no account: `cargo run --example quickstart`.
//!
//! It starts the fake Dintero server in this process, seeds a small demo catalog, and shows the
//! SDK paging through it, then creating, updating and deleting. With `DINTERO_ACCOUNT_ID`,
//! `DINTERO_CLIENT_ID` and `DINTERO_CLIENT_SECRET` set, it lists your real account's catalogs
//! instead, and changes nothing.

use dintero_products::{Client, Currency, NewGroup, NewProduct, Price};
use dintero_products_fake::FakeServer;
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("DINTERO_ACCOUNT_ID").is_some() {
        return real_account().await;
    }

    let fake = FakeServer::start().await;
    fake.seed_demo("T12345678");
    println!("Started a fake Dintero server at {}\n", fake.base_url());

    let client = Client::builder()
        .account_id("T12345678")
        .client_credentials(fake.client_id(), fake.client_secret())
        .base_url(fake.base_url())
        .build()?;

    println!("Catalogs:");
    let catalogs: Vec<_> = client.catalogs().list().items().try_collect().await?;
    for catalog in &catalogs {
        println!("  {} {}", catalog.id(), catalog.name());
    }

    println!("\nProducts of DEMO, 10 to a page:");
    let mut pages = client.products("DEMO").list().limit(10).pages();
    let mut number = 0;
    while let Some(page) = pages.try_next().await? {
        number += 1;
        let names: Vec<String> = page
            .items()
            .iter()
            .map(|p| {
                let price = p.price().map(|p| p.to_string()).unwrap_or_default();
                format!("{} ({price})", p.id())
            })
            .collect();
        println!(
            "  page {number}: {} items: {}",
            page.len(),
            names.join(", ")
        );
        match page.next_cursor() {
            Some(cursor) => println!("          next cursor {cursor}"),
            None => println!("          last page"),
        }
    }

    println!("\nCreating a group and a product in it:");
    let group = client
        .groups()
        .create(NewGroup::new("Møbel").id("B1"))
        .await?;
    println!("  group   {} {}", group.id(), group.name());
    let chair = NewProduct::new("Stablestol")
        .id("Stol22")
        .price(Price::new(10_900, Currency::NOK))
        .unit("stk")
        .group("B1");
    let chair = client.products("DEMO").create(chair).await?;
    println!(
        "  product {} {:?}, {}",
        chair.id(),
        chair.name(),
        chair.price().map(|p| p.to_string()).unwrap_or_default()
    );

    println!("\nRaising its price by 10%, keeping everything else:");
    let chair = client
        .products("DEMO")
        .modify("Stol22", |p| {
            p.price = p.price.and_then(|price| price.change_by_percent(10.0).ok());
        })
        .await?
        .into_inner();
    println!(
        "  {} now costs {}",
        chair.id(),
        chair.price().map(|p| p.to_string()).unwrap_or_default()
    );

    println!("\nSearching by name:");
    let found: Vec<_> = client
        .products("DEMO")
        .list()
        .product_name("stablestol")
        .items()
        .try_collect()
        .await?;
    println!("  {} match \"stablestol\"", found.len());

    println!("\nDeleting it:");
    client.products("DEMO").delete("Stol22").await?;
    match client.products("DEMO").get("Stol22").await {
        Err(e) if e.is_not_found() => println!("  gone: {e}"),
        other => println!("  unexpected: {other:?}"),
    }
    println!("\nBad input is refused before any request:");
    if let Err(e) = client.products("DEMO").list().limit(500).send().await {
        println!("  {e}");
    }
    if let Err(e) = client.products(" DEMO").get("Stol22").await {
        println!("  {e}");
    }
    println!(
        "\nDone: {} requests served by the fake.",
        fake.requests().len()
    );
    Ok(())
}

/// Read-only: lists the catalogs of the account in the environment.
async fn real_account() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    println!(
        "Catalogs of {} at {}:",
        client.account_id(),
        client.base_url()
    );
    let mut catalogs = client.catalogs().list().limit(100).items();
    while let Some(catalog) = catalogs.try_next().await? {
        println!("  {} {}", catalog.id(), catalog.name());
    }
    Ok(())
}
