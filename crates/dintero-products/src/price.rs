//! Prices in minor units, and accessors on the product types.

use crate::error::InvalidInput;
use dintero_products_client::types;
use std::fmt;

/// An amount in minor units (øre, cents) with its ISO 4217 currency. Dintero sends prices as
/// integers in minor units: `unit_gross_price: 10900` with `currency: "NOK"` is 109.00 NOK.
///
/// ```
/// use dintero_products::Price;
///
/// let price = Price::new(10900, "NOK")?;
/// assert_eq!(price.to_string(), "109.00 NOK");
/// assert_eq!(Price::new(500, "JPY")?.to_string(), "500 JPY");
/// assert!(Price::new(100, "kr").is_err());
/// # Ok::<(), dintero_products::InvalidInput>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Price {
    minor_units: i64,
    currency: String,
}

impl Price {
    /// A price; the currency must be three upper-case letters.
    pub fn new(minor_units: i64, currency: &str) -> Result<Self, InvalidInput> {
        if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self {
                minor_units,
                currency: currency.to_string(),
            })
        } else {
            Err(InvalidInput::new(
                "currency",
                currency,
                "must be an ISO 4217 code such as `NOK`",
            ))
        }
    }

    /// The amount in minor units.
    pub fn minor_units(&self) -> i64 {
        self.minor_units
    }

    /// The ISO 4217 currency code.
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// How many minor units make one major unit, as digits after the decimal point.
    pub fn exponent(&self) -> u32 {
        // The ISO 4217 currencies without minor units; the rest have two, but for the
        // three-decimal dinars and rials listed below.
        match self.currency.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exponent = self.exponent();
        if exponent == 0 {
            return write!(f, "{} {}", self.minor_units, self.currency);
        }
        let scale = 10u64.pow(exponent);
        let sign = if self.minor_units < 0 { "-" } else { "" };
        let abs = self.minor_units.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / scale,
            abs % scale,
            self.currency,
            width = exponent as usize
        )
    }
}

/// Accessors on the product types the API returns.
///
/// ```
/// use dintero_products::{Product, ProductExt};
///
/// let product: Product = serde_json::from_str(r#"{"unit_gross_price": 10900, "currency": "NOK"}"#)?;
/// assert_eq!(product.price().unwrap().to_string(), "109.00 NOK");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait ProductExt {
    /// The gross unit price with its currency, when the product has both.
    fn price(&self) -> Option<Price>;
}

impl ProductExt for types::ProductDetails {
    fn price(&self) -> Option<Price> {
        Price::new(self.unit_gross_price?, self.currency.as_deref()?).ok()
    }
}

impl ProductExt for types::ProductResponse {
    fn price(&self) -> Option<Price> {
        Price::new(self.unit_gross_price?, self.currency.as_deref()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_currency_exponent() {
        assert_eq!(Price::new(-5, "EUR").unwrap().to_string(), "-0.05 EUR");
        assert_eq!(Price::new(1234, "KWD").unwrap().to_string(), "1.234 KWD");
        assert_eq!(
            Price::new(i64::MIN, "NOK").unwrap().to_string(),
            "-92233720368547758.08 NOK"
        );
    }
}
