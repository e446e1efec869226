//! The SDK in a minute, with no account: `cargo run --example quickstart`.
//!
//! It starts the fake Dintero server in this process, seeds a small demo catalog, and shows the
//! SDK paging through it, then creating, updating and deleting. With `DINTERO_ACCOUNT_ID`,
//! `DINTERO_CLIENT_ID` and `DINTERO_CLIENT_SECRET` set, it lists your real account's catalogs
//! instead, and changes nothing.

use dintero_products::{Client, NewGroup, NewProduct, ProductExt, ProductUpdate};
use dintero_products_fake::FakeServer;
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("DINTERO_ACCOUNT_ID").is_some() {
        return real_account().await;
    }

    let fake = FakeServer::start().await;
    fake.seed_catalog("T12345678", "DEMO", "Demo catalog");
    fake.seed_products("T12345678", "DEMO", 23);
    println!("Started a fake Dintero server at {}\n", fake.base_url());

    let client = Client::builder()
        .account_id("T12345678")?
        .client_credentials(fake.client_id(), fake.client_secret())
        .base_url(fake.base_url())
        .build()?;

    println!("Catalogs:");
    let catalogs: Vec<_> = client.catalogs().list().items().try_collect().await?;
    for catalog in &catalogs {
        println!(
            "  {} {}",
            catalog.catalog_id.as_deref().unwrap_or("?"),
            catalog.catalog_name.as_deref().unwrap_or("")
        );
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
                format!("{} ({price})", p.product_id.as_deref().unwrap_or("?"))
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
    println!(
        "  group   {} {}",
        group.group_id.as_deref().unwrap_or("?"),
        group.group_name.as_deref().unwrap_or("")
    );
    let chair = NewProduct::new("Stablestol")
        .id("Stol22")
        .price(10_900, "NOK")
        .unit("stk")
        .group("B1");
    let chair = client.products("DEMO").create(chair).await?;
    println!(
        "  product {} {:?}, {}",
        chair.product_id.as_deref().unwrap_or("?"),
        chair.product_name.as_deref().unwrap_or(""),
        chair.price().map(|p| p.to_string()).unwrap_or_default()
    );

    println!("\nUpdating its price:");
    let chair = client
        .products("DEMO")
        .update(
            "Stol22",
            ProductUpdate::new()
                .name("Stablestol")
                .price(12_900, "NOK")
                .unit("stk"),
        )
        .await?;
    println!(
        "  {} now costs {}",
        chair.product_id.as_deref().unwrap_or("?"),
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
        println!(
            "  {} {}",
            catalog.catalog_id.as_deref().unwrap_or("?"),
            catalog.catalog_name.as_deref().unwrap_or("")
        );
    }
    Ok(())
}
