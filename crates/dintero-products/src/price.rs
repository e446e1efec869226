//! Prices: an amount in minor units with a checked ISO 4217 currency, and the arithmetic a price
//! change needs.

use crate::error::InvalidInput;
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency code: three upper-case letters.
///
/// The codes and their minor-unit digits are ISO 4217's, from the `iso_currency` crate (kept
/// up with the standard's amendments; withdrawn codes such as `HRK` are still in it). A
/// well-formed code it does not know (one newer than it) is carried as it is, never dropped:
/// the server may well hold products priced in it. [`is_listed`](Self::is_listed) tells them
/// apart.
///
/// ```
/// use dintero_products::Currency;
///
/// let nok: Currency = "NOK".parse()?;
/// assert_eq!(nok, Currency::NOK);
/// assert!("nok".parse::<Currency>().is_err()); // codes are upper case
/// assert!("NOKK".parse::<Currency>().is_err()); // three letters
/// let kuna: Currency = "HRK".parse()?; // withdrawn in 2023, still ISO 4217's
/// assert!(kuna.is_listed() && nok.is_listed());
/// let unknown: Currency = "QQQ".parse()?; // well-formed, in no list
/// assert!(!unknown.is_listed());
/// assert_eq!(unknown.exponent(), 2); // assumed
/// # Ok::<(), dintero_products::InvalidInput>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
    listed: bool,
}

impl Currency {
    /// Norwegian krone.
    pub const NOK: Currency = Currency::two_decimals("NOK");
    /// Swedish krona.
    pub const SEK: Currency = Currency::two_decimals("SEK");
    /// Danish krone.
    pub const DKK: Currency = Currency::two_decimals("DKK");
    /// Euro.
    pub const EUR: Currency = Currency::two_decimals("EUR");
    /// US dollar.
    pub const USD: Currency = Currency::two_decimals("USD");
    /// Pound sterling.
    pub const GBP: Currency = Currency::two_decimals("GBP");

    const fn two_decimals(code: &'static str) -> Self {
        let code = code.as_bytes();
        Self {
            code: [code[0], code[1], code[2]],
            exponent: 2,
            listed: true,
        }
    }

    /// Checks that `code` is an ISO 4217 code: three upper-case ASCII letters, such as `NOK`.
    /// A well-formed code that ISO 4217 (as far as the SDK knows it) does not list is accepted,
    /// with two decimals; see [`is_listed`](Self::is_listed).
    pub fn new(code: &str) -> Result<Self, InvalidInput> {
        let letters: [u8; 3] = code
            .as_bytes()
            .try_into()
            .ok()
            .filter(|c: &[u8; 3]| c.iter().all(u8::is_ascii_uppercase))
            .ok_or_else(|| {
                InvalidInput::new(
                    "currency",
                    code,
                    "must be an ISO 4217 code: three capital letters such as `NOK`",
                )
            })?;
        // Precious metals and other special codes have no minor unit: not a price currency.
        let exponent = iso_currency::Currency::from_code(code)
            .and_then(|iso| iso.exponent())
            .and_then(|e| u8::try_from(e).ok());
        Ok(Self {
            code: letters,
            exponent: exponent.unwrap_or(2),
            listed: exponent.is_some(),
        })
    }

    /// The code, such as `NOK`.
    pub fn as_str(&self) -> &str {
        // Three ASCII capitals, checked when made.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// How many digits the minor unit has: 2 for NOK (øre), 0 for JPY, 3 for KWD; 2 for a code
    /// that is not listed.
    pub fn exponent(&self) -> u32 {
        u32::from(self.exponent)
    }

    /// Whether the code is an ISO 4217 currency with a minor unit, current or withdrawn (and so
    /// its exponent is known rather than assumed).
    pub fn is_listed(&self) -> bool {
        self.listed
    }
}

impl FromStr for Currency {
    type Err = InvalidInput;
    fn from_str(code: &str) -> Result<Self, InvalidInput> {
        Self::new(code)
    }
}

impl TryFrom<&str> for Currency {
    type Error = InvalidInput;
    fn try_from(code: &str) -> Result<Self, InvalidInput> {
        Self::new(code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount in minor units (øre, cents) with its currency. Dintero sends prices as integers in
/// minor units: `unit_gross_price: 10900` with `currency: "NOK"` is 109.00 NOK.
///
/// ```
/// use dintero_products::{Currency, Price};
///
/// let price = Price::new(10900, Currency::NOK);
/// assert_eq!(price.to_string(), "109.00 NOK");
/// assert_eq!(Price::new(500, "JPY".parse()?).to_string(), "500 JPY");
/// // Ten per cent up, rounded to the nearest øre.
/// assert_eq!(price.change_by_percent(10.0)?.minor_units(), 11990);
/// # Ok::<(), dintero_products::InvalidInput>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Price {
    minor_units: i64,
    currency: Currency,
}

impl Price {
    /// The largest amount a job sends, in minor units: 100 000 000 000 (one billion kroner, in
    /// øre). Anything larger is a typing slip, not a price.
    pub const MAX_MINOR_UNITS: i64 = 100_000_000_000;

    /// A price of `minor_units` (øre for NOK) in `currency`. Any amount can be held (a server
    /// may send one); [`check`](Self::check) says whether it is fit to send.
    pub fn new(minor_units: i64, currency: Currency) -> Self {
        Self {
            minor_units,
            currency,
        }
    }

    /// A price of `minor_units` in `currency`, when it is fit to send (see
    /// [`check`](Self::check)).
    ///
    /// ```
    /// use dintero_products::{Currency, Price};
    ///
    /// assert!(Price::try_new(149900, Currency::NOK).is_ok());
    /// let negative = Price::try_new(-1, Currency::NOK).unwrap_err();
    /// assert_eq!(negative.to_string(), r#"invalid price "-1": must not be negative"#);
    /// assert!(Price::try_new(i64::MAX, Currency::NOK).is_err());
    /// ```
    pub fn try_new(minor_units: i64, currency: Currency) -> Result<Self, InvalidInput> {
        let price = Self::new(minor_units, currency);
        price.check().map(|()| price)
    }

    /// Whether the price is fit to send: not negative, and at most
    /// [`MAX_MINOR_UNITS`](Self::MAX_MINOR_UNITS). Every write checks it before sending.
    pub fn check(&self) -> Result<(), InvalidInput> {
        let invalid = |problem| InvalidInput::new("price", &self.minor_units.to_string(), problem);
        if self.minor_units < 0 {
            Err(invalid("must not be negative"))
        } else if self.minor_units > Self::MAX_MINOR_UNITS {
            Err(invalid(
                "is more than 100 000 000 000 minor units (one billion in the major unit): a typing slip?",
            ))
        } else {
            Ok(())
        }
    }

    /// Whether going from `self` to `to` multiplies or divides the amount by `factor` or more,
    /// in the same currency: the kroner-for-øre slip (`1499` typed for 1 499,00 kr is a
    /// hundredth of it). A change from or to zero, or of currency, is not a jump.
    ///
    /// ```
    /// use dintero_products::{Currency, Price};
    ///
    /// let was = Price::new(149900, Currency::NOK);
    /// assert!(was.jumps_to(&Price::new(1499, Currency::NOK), 10));
    /// assert!(!was.jumps_to(&Price::new(164900, Currency::NOK), 10));
    /// ```
    pub fn jumps_to(&self, to: &Price, factor: u32) -> bool {
        let (a, b) = (i128::from(self.minor_units), i128::from(to.minor_units));
        let factor = i128::from(factor);
        self.currency == to.currency && a > 0 && b > 0 && (b >= a * factor || a >= b * factor)
    }

    /// The amount in minor units.
    pub fn minor_units(&self) -> i64 {
        self.minor_units
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The same price with another amount.
    pub fn with_minor_units(self, minor_units: i64) -> Self {
        Self {
            minor_units,
            ..self
        }
    }

    /// This price changed by `percent` (`10.0` is ten per cent up, `-25.0` a quarter off).
    ///
    /// The rule: `percent` is taken to two decimals (hundredths of a per cent; finer digits
    /// round to the nearest), the product is computed exactly in integers, and the result is
    /// rounded to the nearest minor unit, halves away from zero. Fails for a percent that is
    /// not finite or a result that does not fit.
    pub fn change_by_percent(self, percent: f64) -> Result<Self, InvalidInput> {
        let invalid = |problem| InvalidInput::new("percent", &percent.to_string(), problem);
        if !percent.is_finite() {
            return Err(invalid("must be a finite number"));
        }
        let basis_points = (percent * 100.0).round();
        if basis_points.abs() > 1e15 {
            return Err(invalid("is too large"));
        }
        // Exact: |minor| < 2^63 and |10_000 + bp| < 2^50, so the product fits in an i128.
        let scaled = i128::from(self.minor_units) * (10_000 + basis_points as i128);
        let rounded = div_round_half_away(scaled, 10_000);
        i64::try_from(rounded)
            .map(|minor_units| self.with_minor_units(minor_units))
            .map_err(|_| invalid("gives a price too large to represent"))
    }

    /// The sum of two prices in the same currency; `None` if the currencies differ or the sum
    /// does not fit.
    pub fn checked_add(self, other: Price) -> Option<Price> {
        (self.currency == other.currency)
            .then(|| self.minor_units.checked_add(other.minor_units))
            .flatten()
            .map(|minor_units| self.with_minor_units(minor_units))
    }

    /// The difference of two prices in the same currency; `None` if the currencies differ or
    /// the difference does not fit.
    pub fn checked_sub(self, other: Price) -> Option<Price> {
        (self.currency == other.currency)
            .then(|| self.minor_units.checked_sub(other.minor_units))
            .flatten()
            .map(|minor_units| self.with_minor_units(minor_units))
    }
}

fn div_round_half_away(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exponent = self.currency.exponent();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_exponents_are_iso_4217s() {
        for constant in [
            Currency::NOK,
            Currency::SEK,
            Currency::DKK,
            Currency::EUR,
            Currency::USD,
            Currency::GBP,
        ] {
            assert_eq!(Currency::new(constant.as_str()).unwrap(), constant);
        }
        for bad in ["", "NO", "NOKK", "nok", "Nok", "ØRE", "N0K", " NOK"] {
            assert!(Currency::new(bad).is_err(), "{bad}");
        }
        let facts = |code: &str| {
            let c = Currency::new(code).unwrap();
            (c.as_str().to_string(), c.exponent(), c.is_listed())
        };
        // Withdrawn, zero, three and four decimals, a 2025 code, a metal, an unknown one.
        assert_eq!(facts("HRK"), ("HRK".into(), 2, true));
        assert_eq!(facts("JPY"), ("JPY".into(), 0, true));
        assert_eq!(facts("KWD"), ("KWD".into(), 3, true));
        assert_eq!(facts("CLF"), ("CLF".into(), 4, true));
        assert_eq!(facts("XCG"), ("XCG".into(), 2, true));
        assert_eq!(facts("XAU"), ("XAU".into(), 2, false));
        assert_eq!(facts("QQQ"), ("QQQ".into(), 2, false));
    }

    #[test]
    fn formats_by_currency_exponent() {
        let eur = Currency::EUR;
        assert_eq!(Price::new(-5, eur).to_string(), "-0.05 EUR");
        assert_eq!(
            Price::new(1234, "KWD".parse().unwrap()).to_string(),
            "1.234 KWD"
        );
        assert_eq!(
            Price::new(i64::MIN, Currency::NOK).to_string(),
            "-92233720368547758.08 NOK"
        );
    }

    #[test]
    fn percent_changes_round_half_away_from_zero() {
        let p = |minor| Price::new(minor, Currency::NOK);
        assert_eq!(p(10900).change_by_percent(10.0).unwrap(), p(11990));
        assert_eq!(p(10900).change_by_percent(-100.0).unwrap(), p(0));
        assert_eq!(p(5).change_by_percent(10.0).unwrap(), p(6)); // 5.5 -> 6
        assert_eq!(p(-5).change_by_percent(10.0).unwrap(), p(-6)); // -5.5 -> -6
        assert_eq!(p(1).change_by_percent(-50.0).unwrap(), p(1)); // 0.5 -> 1
        assert_eq!(p(999).change_by_percent(12.345).unwrap(), p(1122)); // 12.35%: 1122.3765
        assert!(p(1).change_by_percent(f64::NAN).is_err());
        assert!(p(i64::MAX).change_by_percent(100.0).is_err());
        assert!(p(1).change_by_percent(1e300).is_err());
    }

    #[test]
    fn sums_need_one_currency() {
        let nok = Price::new(100, Currency::NOK);
        assert_eq!(nok.checked_add(nok), Some(Price::new(200, Currency::NOK)));
        assert_eq!(nok.checked_sub(nok), Some(Price::new(0, Currency::NOK)));
        assert_eq!(nok.checked_add(Price::new(1, Currency::SEK)), None);
        assert_eq!(Price::new(i64::MAX, Currency::NOK).checked_add(nok), None);
    }

    #[test]
    fn bounds_and_jumps() {
        let p = |minor| Price::new(minor, Currency::NOK);
        assert!(p(0).check().is_ok());
        assert!(p(Price::MAX_MINOR_UNITS).check().is_ok());
        assert!(p(Price::MAX_MINOR_UNITS + 1).check().is_err());
        assert!(p(-1).check().is_err());
        assert!(p(1000).jumps_to(&p(100), 10));
        assert!(p(100).jumps_to(&p(1000), 10));
        assert!(!p(1000).jumps_to(&p(101), 10));
        assert!(!p(101).jumps_to(&p(1000), 10));
        assert!(!p(0).jumps_to(&p(1000), 10));
        assert!(!p(1000).jumps_to(&Price::new(100, Currency::SEK), 10));
        assert!(!p(i64::MAX).jumps_to(&p(i64::MAX), 10));
    }

    proptest::proptest! {
        /// Exactly the strings of three ASCII capitals are currencies, and each keeps its text.
        #[test]
        fn well_formed_codes_are_kept(code in "[A-Z]{3}|[A-Za-z0-9 ]{0,4}|\\PC{0,5}") {
            let ok = code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase());
            match Currency::new(&code) {
                Ok(c) => proptest::prop_assert!(ok && c.as_str() == code),
                Err(_) => proptest::prop_assert!(!ok),
            }
        }

        /// Percent changes never panic, and whenever they succeed the result is within half a
        /// minor unit of the exact value (computed here in f64 where that is exact enough).
        #[test]
        fn percent_changes_never_panic(minor in proptest::prelude::any::<i64>(), percent in proptest::prelude::any::<f64>()) {
            let price = Price::new(minor, Currency::NOK);
            if let Ok(changed) = price.change_by_percent(percent)
                && minor.unsigned_abs() < 1 << 40
                && percent.abs() < 1e6
            {
                let exact = minor as f64 * (1.0 + (percent * 100.0).round() / 10_000.0);
                let off = (changed.minor_units() as f64 - exact).abs();
                proptest::prop_assert!(off <= 0.5 + exact.abs() * 1e-12, "{off}");
            }
        }
    }
}
