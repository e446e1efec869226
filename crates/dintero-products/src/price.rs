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

    /// Reads `amount`, written in the major unit of `currency` (kroner, not øre) as people and
    /// spreadsheets write it: `1499`, `1499.00`, `1499,00`, `1 499,00`, `1.499,00`,
    /// `1,499.00`, `-5`, `0,5`.
    ///
    /// The rules:
    /// - whitespace around the amount is ignored;
    /// - one sign at most, in front: `-`, `+` or `−` (U+2212, the minus .NET and ICU write
    ///   for Nordic locales);
    /// - when both `.` and `,` occur, the last one is the decimal mark and the other separates
    ///   thousands; a `.` or `,` that occurs more than once (and the other does not) separates
    ///   thousands; one that occurs once is the decimal mark;
    /// - except that a lone `.` or `,` after one to three digits (not starting with `0`) and
    ///   before exactly three is ambiguous: `1.499` may be 1 499 or 1,499. It is refused,
    ///   unless the currency has three decimals (KWD), where it is the decimal mark, as
    ///   [`to_major_string`](Self::to_major_string) writes it;
    /// - thousands are separated by a space (a normal one, a no-break space U+00A0 or a narrow
    ///   no-break space U+202F, as Excel and Nordic locales write them), `.` or `,`, one kind in
    ///   an amount, between groups of three digits after a first group of one to three that
    ///   does not start with `0`;
    /// - the decimal mark has digits on both sides, and only digits after it;
    /// - fewer decimals than the currency has are filled with zeros; more are an error, not
    ///   rounded (a price read from a file should be the price that was written);
    /// - an amount too large for an `i64` of minor units is an error.
    ///
    /// The result is not [`check`](Self::check)ed: a negative amount (a discount line) reads
    /// fine, and whether it may be sent is decided when it is sent.
    ///
    /// ```
    /// use dintero_products::{Currency, Price};
    ///
    /// let nok = |amount| Price::from_major(amount, Currency::NOK).map(|p| p.minor_units());
    /// assert_eq!(nok("1 499,00"), Ok(149900));
    /// assert_eq!(nok("1.499,00"), Ok(149900));
    /// assert_eq!(nok("1,499.00"), Ok(149900));
    /// assert_eq!(nok("1499.5"), Ok(149950));
    /// assert_eq!(nok("-5"), Ok(-500));
    /// let error = Price::from_major("1.499", Currency::NOK).unwrap_err();
    /// assert_eq!(error.value(), Some("1.499 NOK"));
    /// assert!(error.problem().starts_with("is ambiguous"));
    /// // Three decimals are KWD's own.
    /// assert_eq!(Price::from_major("1.499", "KWD".parse()?)?.minor_units(), 1499);
    /// assert!(Price::from_major("10.5", "JPY".parse()?).is_err());
    /// # Ok::<(), dintero_products::InvalidInput>(())
    /// ```
    pub fn from_major(amount: &str, currency: Currency) -> Result<Self, InvalidInput> {
        let amount = amount.trim();
        if amount.is_empty() {
            return Err(InvalidInput::missing("amount", MUST_BE_A_NUMBER));
        }
        parse_major(amount, currency.exponent())
            .map(|minor_units| Self::new(minor_units, currency))
            // The currency is in the value: whether an amount is right depends on it.
            .map_err(|problem| {
                InvalidInput::new("amount", &format!("{amount} {currency}"), problem)
            })
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

    /// The amount in the major unit, without the currency: `.` as the decimal mark, exactly
    /// as many decimals as the currency has, no thousands separators. It is what
    /// [`from_major`](Self::from_major) reads back to the same price, for any amount.
    ///
    /// ```
    /// use dintero_products::{Currency, Price};
    ///
    /// assert_eq!(Price::new(149900, Currency::NOK).to_major_string(), "1499.00");
    /// assert_eq!(Price::new(-5, Currency::NOK).to_major_string(), "-0.05");
    /// assert_eq!(Price::new(500, "JPY".parse()?).to_major_string(), "500");
    /// assert_eq!(Price::new(1234, "KWD".parse()?).to_major_string(), "1.234");
    /// # Ok::<(), dintero_products::InvalidInput>(())
    /// ```
    pub fn to_major_string(&self) -> String {
        let exponent = self.currency.exponent();
        if exponent == 0 {
            return self.minor_units.to_string();
        }
        // Unsigned, so that `i64::MIN` has an absolute value.
        let abs = u128::from(self.minor_units.unsigned_abs());
        let scale = 10u128.pow(exponent);
        let sign = if self.minor_units < 0 { "-" } else { "" };
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exponent as usize
        )
    }

    /// The amount in the major unit as a float: minor units / 10^exponent. For charts, sums
    /// and comparisons where exactness does not matter; it is not exact (an `f64` holds 15 to
    /// 17 significant digits, and 0.1 not at all), so never compute a price to send from it.
    ///
    /// ```
    /// use dintero_products::{Currency, Price};
    ///
    /// assert_eq!(Price::new(149950, Currency::NOK).to_major_f64(), 1499.5);
    /// assert_eq!(Price::new(500, "JPY".parse()?).to_major_f64(), 500.0);
    /// # Ok::<(), dintero_products::InvalidInput>(())
    /// ```
    pub fn to_major_f64(&self) -> f64 {
        let exponent = i32::try_from(self.currency.exponent()).unwrap_or(i32::MAX);
        self.minor_units as f64 / 10f64.powi(exponent)
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
        let too_large = || invalid("gives a price too large to represent");
        // The cast saturates: a percent beyond an i128 of basis points overflows below, as
        // does any product that would not be exact. No bound of our own on the percent: a
        // change whose result fits is made.
        let basis_points = (percent * 100.0).round() as i128;
        let factor = basis_points.checked_add(10_000).ok_or_else(too_large)?;
        let scaled = i128::from(self.minor_units)
            .checked_mul(factor)
            .ok_or_else(too_large)?;
        let rounded = div_round_half_away(scaled, 10_000);
        i64::try_from(rounded)
            .map(|minor_units| self.with_minor_units(minor_units))
            .map_err(|_| too_large())
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
        write!(f, "{} {}", self.to_major_string(), self.currency)
    }
}

/// Reads a price with its currency code, before or after the amount and separated from it by
/// whitespace: `1499.00 NOK`, `1 499,00 NOK`, `NOK 1499`. The amount is read by
/// [`Price::from_major`], with its rules; what [`Display`](fmt::Display) writes reads back to
/// the same price.
///
/// ```
/// use dintero_products::{Currency, Price};
///
/// let price: Price = "1 499,00 NOK".parse()?;
/// assert_eq!(price, Price::new(149900, Currency::NOK));
/// assert_eq!("NOK 1499".parse::<Price>()?, price);
/// assert_eq!(price.to_string().parse::<Price>()?, price);
/// assert!("1499.00".parse::<Price>().is_err()); // which currency?
/// # Ok::<(), dintero_products::InvalidInput>(())
/// ```
impl FromStr for Price {
    type Err = InvalidInput;
    fn from_str(text: &str) -> Result<Self, InvalidInput> {
        let text = text.trim();
        // Letters of any case, so that `nok` gets the currency's own error (capitals), not
        // "no currency".
        let is_code =
            |token: &str| token.len() == 3 && token.bytes().all(|b| b.is_ascii_alphabetic());
        let split = text
            .rsplit_once(char::is_whitespace)
            .filter(|(_, code)| is_code(code))
            .or_else(|| {
                text.split_once(char::is_whitespace)
                    .filter(|(code, _)| is_code(code))
                    .map(|(code, amount)| (amount, code))
            });
        let (amount, code) = split.ok_or_else(|| {
            InvalidInput::new(
                "price",
                text,
                "needs a currency code before or after the amount, such as `1499.00 NOK` or `NOK 1499`",
            )
        })?;
        Price::from_major(amount, code.parse()?)
    }
}

/// The spaces that separate thousands: besides the normal one, the no-break spaces Excel and
/// Nordic locales write so that an amount never breaks across lines.
const GROUP_SPACES: [char; 3] = [' ', '\u{a0}', '\u{202f}'];

/// The signs an amount may start with: `−` (U+2212) is the minus that .NET and ICU write for
/// Nordic locales.
const SIGNS: [char; 3] = ['-', '+', '\u{2212}'];

const MUST_BE_A_NUMBER: &str = "must be a number such as `1499.00` or `1 499,00`";

fn too_many_decimals(exponent: u32) -> &'static str {
    // The problem is a `&'static str`, so one per exponent ISO 4217 uses (0, 2, 3 and 4; a
    // test walks every code).
    match exponent {
        0 => "has decimals, and the currency has none (amounts are not rounded)",
        2 => "has more decimals than the currency's 2 (amounts are not rounded)",
        3 => "has more decimals than the currency's 3 (amounts are not rounded)",
        4 => "has more decimals than the currency's 4 (amounts are not rounded)",
        _ => "has more decimals than the currency has (amounts are not rounded)",
    }
}

/// The amount (trimmed, not empty) in minor units, or why it is not one. The rules are
/// [`Price::from_major`]'s.
fn parse_major(amount: &str, exponent: u32) -> Result<i64, &'static str> {
    let (negative, body) = match amount.strip_prefix(SIGNS) {
        Some(rest) => (!amount.starts_with('+'), rest),
        None => (false, amount),
    };
    if body.contains(SIGNS) {
        return Err("may have one sign, in front");
    }
    let allowed = |c: char| c.is_ascii_digit() || c == '.' || c == ',' || GROUP_SPACES.contains(&c);
    if body.is_empty() || !body.chars().all(allowed) {
        return Err(MUST_BE_A_NUMBER);
    }
    let decimal_mark = match body.rfind(['.', ',']) {
        None => None,
        Some(at) => {
            let mark = body.as_bytes()[at] as char;
            let other = if mark == '.' { ',' } else { '.' };
            let (before, after) = (&body[..at], &body[at + 1..]);
            if body.contains(other) {
                if before.contains(mark) {
                    return Err(
                        "has more than one decimal mark (with both `.` and `,`, the last one is the decimal mark)",
                    );
                }
                Some(at)
            } else if before.contains(mark) {
                None
            } else {
                let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
                    n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
                };
                let could_be_thousands =
                    digits(before, 1..=3) && !before.starts_with('0') && digits(after, 3..=3);
                if could_be_thousands && exponent != 3 {
                    return Err(
                        "is ambiguous: a lone `.` or `,` before three digits may separate thousands or decimals; write `1499` or `1.499,00`",
                    );
                }
                Some(at)
            }
        }
    };
    let (whole, fraction) = match decimal_mark {
        Some(at) => (&body[..at], &body[at + 1..]),
        None => (body, ""),
    };
    if decimal_mark.is_some() && (whole.is_empty() || fraction.is_empty()) {
        return Err("needs digits on both sides of the decimal mark, such as `0.50`");
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err("may have only digits after the decimal mark");
    }
    check_thousands(whole)?;
    if fraction.len() > exponent as usize {
        return Err(too_many_decimals(exponent));
    }
    let padding = std::iter::repeat_n(b'0', exponent as usize - fraction.len());
    let digits = whole
        .bytes()
        .chain(fraction.bytes())
        .filter(u8::is_ascii_digit);
    let too_large = "is too large: it does not fit in 64 bits of minor units";
    // Checked, and in i128 so that `i64::MIN`, whose magnitude is no i64, reads too.
    let magnitude = digits.chain(padding).try_fold(0i128, |n, digit| {
        n.checked_mul(10)?.checked_add(i128::from(digit - b'0'))
    });
    let signed = magnitude
        .map(|n| if negative { -n } else { n })
        .ok_or(too_large)?;
    i64::try_from(signed).map_err(|_| too_large)
}

/// Checks the thousands separators of the whole part, if it has any: one kind (the three
/// spaces count as one), between groups of three digits after a first group of one to three
/// that does not start with `0`.
fn check_thousands(whole: &str) -> Result<(), &'static str> {
    let is_space = |c: char| GROUP_SPACES.contains(&c);
    let mut separators = whole.chars().filter(|c| !c.is_ascii_digit());
    let Some(first) = separators.next() else {
        return Ok(());
    };
    if !separators.all(|c| c == first || (is_space(c) && is_space(first))) {
        return Err("mixes thousands separators: use one of space, `.` and `,`");
    }
    let mut groups = whole.split(|c: char| !c.is_ascii_digit());
    let head = groups.next().unwrap_or_default();
    if (1..=3).contains(&head.len()) && !head.starts_with('0') && groups.all(|g| g.len() == 3) {
        Ok(())
    } else {
        Err("must have thousands separators between groups of three digits, such as `1 499 000,00`")
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
        // However large the percent, a result that fits is given.
        assert_eq!(p(1).change_by_percent(1e13).unwrap(), p(100_000_000_001));
        assert_eq!(p(0).change_by_percent(1e30).unwrap(), p(0));
        assert_eq!(p(-3).change_by_percent(-1e13).unwrap(), p(299_999_999_997));
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
        // To or from zero is a price set or cleared, not a slip of the decimal mark.
        assert!(!p(0).jumps_to(&p(1000), 10));
        assert!(!p(1000).jumps_to(&p(0), 10));
        assert!(!p(1000).jumps_to(&Price::new(100, Currency::SEK), 10));
        assert!(!p(i64::MAX).jumps_to(&p(i64::MAX), 10));
    }

    fn jpy() -> Currency {
        "JPY".parse().unwrap()
    }

    fn kwd() -> Currency {
        "KWD".parse().unwrap()
    }

    fn nok(amount: &str) -> Result<i64, InvalidInput> {
        Price::from_major(amount, Currency::NOK).map(|p| p.minor_units())
    }

    /// The problem of an amount that must not read, for asserting on the message.
    fn refused(amount: &str, currency: Currency) -> String {
        Price::from_major(amount, currency).unwrap_err().to_string()
    }

    #[test]
    fn reads_amounts_as_people_write_them() {
        assert_eq!(nok("1499"), Ok(149900));
        assert_eq!(nok("1499.00"), Ok(149900));
        assert_eq!(nok("1499,00"), Ok(149900));
        assert_eq!(nok("1.499,00"), Ok(149900));
        assert_eq!(nok("1,499.00"), Ok(149900));
        assert_eq!(nok("-5"), Ok(-500));
        assert_eq!(nok("+5"), Ok(500));
        assert_eq!(nok("\u{2212}5"), Ok(-500));
        assert_eq!(nok("0,5"), Ok(50));
        assert_eq!(nok("1499.5"), Ok(149950));
        assert_eq!(nok("  1499,00 \t"), Ok(149900));
        assert_eq!(nok("007"), Ok(700));
        assert_eq!(nok("-0"), Ok(0));
    }

    #[test]
    fn reads_thousands_spaces_of_three_kinds() {
        for space in [" ", "\u{a0}", "\u{202f}"] {
            assert_eq!(nok(&format!("1{space}499,00")), Ok(149900), "{space:?}");
            assert_eq!(nok(&format!("-1{space}234{space}567")), Ok(-123456700));
        }
        assert_eq!(nok("1 234\u{a0}567"), Ok(123456700)); // the spaces count as one kind
    }

    #[test]
    fn repeated_mark_separates_thousands() {
        assert_eq!(nok("1.234.567"), Ok(123456700));
        assert_eq!(nok("1,234,567.89"), Ok(123456789));
        assert_eq!(nok("1.234.567,89"), Ok(123456789));
        assert_eq!(
            Price::from_major("1.499.000", jpy()).unwrap().minor_units(),
            1499000
        );
    }

    #[test]
    fn lone_mark_before_three_digits_is_ambiguous_except_for_three_decimals() {
        let ambiguous = "is ambiguous: a lone `.` or `,` before three digits may separate \
                         thousands or decimals; write `1499` or `1.499,00`";
        assert_eq!(
            refused("1.499", Currency::NOK),
            format!(r#"invalid amount "1.499 NOK": {ambiguous}"#)
        );
        assert_eq!(
            refused("-1,499", Currency::NOK),
            format!(r#"invalid amount "-1,499 NOK": {ambiguous}"#)
        );
        assert!(refused("1.499", jpy()).contains("is ambiguous"));
        assert!(refused("999,000", Currency::EUR).contains("is ambiguous"));
        // KWD writes three decimals: there the mark is a decimal mark.
        assert_eq!(
            Price::from_major("1.499", kwd()),
            Ok(Price::new(1499, kwd()))
        );
        assert_eq!(
            Price::from_major("1,234", kwd()),
            Ok(Price::new(1234, kwd()))
        );
        // Not thousands, so not ambiguous: too many decimals.
        let nok_decimals = "has more decimals than the currency's 2 (amounts are not rounded)";
        assert_eq!(
            refused("1499.000", Currency::NOK),
            format!(r#"invalid amount "1499.000 NOK": {nok_decimals}"#)
        );
        for amount in ["0.499", "1 499,000", "1.4990"] {
            assert!(
                refused(amount, Currency::NOK).ends_with(nok_decimals),
                "{amount}"
            );
        }
    }

    #[test]
    fn too_many_decimals_are_refused_not_rounded() {
        assert_eq!(
            refused("10.5", jpy()),
            r#"invalid amount "10.5 JPY": has decimals, and the currency has none (amounts are not rounded)"#
        );
        assert!(refused("1.2345", kwd()).contains("the currency's 3"));
        assert_eq!(
            Price::from_major("0,5", jpy()).unwrap_err().problem(),
            too_many_decimals(0)
        );
        assert_eq!(Price::from_major("1.5", kwd()), Ok(Price::new(1500, kwd())));
        assert_eq!(Price::from_major("500", jpy()), Ok(Price::new(500, jpy())));
    }

    /// Every code, listed or not: decimals beyond the currency's are refused, and the message
    /// says how many it has.
    #[test]
    fn the_refusal_names_each_currencys_own_decimals() {
        let letters = || b'A'..=b'Z';
        let mut exponents = std::collections::BTreeSet::new();
        for code in
            letters().flat_map(|a| letters().flat_map(move |b| letters().map(move |c| [a, b, c])))
        {
            let currency = Currency::new(std::str::from_utf8(&code).unwrap()).unwrap();
            let e = currency.exponent();
            exponents.insert(e);
            // Two more: one more would be three digits for two decimals, which is ambiguous.
            let amount = format!("1.{}", "5".repeat(e as usize + 2));
            let problem = Price::from_major(&amount, currency)
                .unwrap_err()
                .problem()
                .to_string();
            let says = if e == 0 {
                "the currency has none".to_string()
            } else {
                format!("the currency's {e} ")
            };
            assert!(problem.contains(&says), "{currency} ({e}): {problem}");
        }
        assert_eq!(exponents.into_iter().collect::<Vec<_>>(), [0, 2, 3, 4]);
    }

    #[test]
    fn thousands_separators_group_in_threes() {
        let problem =
            "must have thousands separators between groups of three digits, such as `1 499 000,00`";
        assert_eq!(
            refused("1 49,00", Currency::NOK),
            format!(r#"invalid amount "1 49,00 NOK": {problem}"#)
        );
        for amount in [
            "1 4990",
            "1499 000",
            "1  499",
            "0 499",
            "1.49.000",
            "- 5",
            "1 499 ,00",
        ] {
            let error = Price::from_major(amount, Currency::NOK).unwrap_err();
            assert_eq!(error.problem(), problem, "{amount}");
        }
        let mixed = Price::from_major("1 499.000,00", Currency::NOK).unwrap_err();
        assert_eq!(
            mixed.problem(),
            "mixes thousands separators: use one of space, `.` and `,`"
        );
    }

    #[test]
    fn refuses_what_is_no_amount() {
        let missing = Price::from_major(" \u{a0}", Currency::NOK).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "missing amount: must be a number such as `1499.00` or `1 499,00`"
        );
        assert_eq!(
            refused("12a", Currency::NOK),
            r#"invalid amount "12a NOK": must be a number such as `1499.00` or `1 499,00`"#
        );
        for amount in ["kr 5", "1e3", "NaN", "-", "5 kr", "1_000"] {
            assert_eq!(
                Price::from_major(amount, Currency::NOK)
                    .unwrap_err()
                    .problem(),
                MUST_BE_A_NUMBER,
                "{amount}"
            );
        }
        for amount in ["--5", "+-5", "5-", "1-2", "-5-"] {
            let error = Price::from_major(amount, Currency::NOK).unwrap_err();
            assert_eq!(error.problem(), "may have one sign, in front", "{amount}");
        }
        for amount in [".5", "5.", "-,5", "1.499,"] {
            let error = Price::from_major(amount, Currency::NOK).unwrap_err();
            assert_eq!(
                error.problem(),
                "needs digits on both sides of the decimal mark, such as `0.50`",
                "{amount}"
            );
        }
        assert_eq!(
            Price::from_major("1,5.5,5", Currency::NOK)
                .unwrap_err()
                .problem(),
            "has more than one decimal mark (with both `.` and `,`, the last one is the decimal mark)"
        );
        assert_eq!(
            Price::from_major("1,00 5", Currency::NOK)
                .unwrap_err()
                .problem(),
            "may have only digits after the decimal mark"
        );
    }

    #[test]
    fn overflow_is_an_error() {
        let too_large = "is too large: it does not fit in 64 bits of minor units";
        assert_eq!(nok("92233720368547758.07"), Ok(i64::MAX));
        assert_eq!(nok("-92233720368547758.08"), Ok(i64::MIN));
        for amount in [
            "92233720368547758.08",
            "-92233720368547758.09",
            "92233720368547759",
        ] {
            let error = Price::from_major(amount, Currency::NOK).unwrap_err();
            assert_eq!(error.problem(), too_large, "{amount}");
        }
        let huge = "9".repeat(100);
        assert_eq!(
            Price::from_major(&huge, jpy()).unwrap_err().problem(),
            too_large
        );
    }

    #[test]
    fn reading_does_not_check_bounds() {
        let negative = Price::from_major("-5", Currency::NOK).unwrap();
        assert!(negative.check().is_err());
        let huge = Price::from_major("2 000 000 000", Currency::NOK).unwrap();
        assert!(huge.check().is_err());
    }

    #[test]
    fn parses_prices_with_a_code_on_either_side() {
        let p = Price::new(149900, Currency::NOK);
        for text in [
            "1499.00 NOK",
            "1 499,00 NOK",
            "1\u{a0}499,00\u{a0}NOK",
            "NOK 1499",
            "NOK 1.499,00",
            "  NOK\t1499  ",
            "1499 NOK",
        ] {
            assert_eq!(text.parse::<Price>(), Ok(p), "{text:?}");
        }
        assert_eq!("-0.05 EUR".parse(), Ok(Price::new(-5, Currency::EUR)));
        assert_eq!("500 JPY".parse(), Ok(Price::new(500, jpy())));
        assert_eq!("1.234 KWD".parse(), Ok(Price::new(1234, kwd())));
    }

    #[test]
    fn price_text_needs_a_currency() {
        let no_code =
            "needs a currency code before or after the amount, such as `1499.00 NOK` or `NOK 1499`";
        assert_eq!(
            "1499.00".parse::<Price>().unwrap_err().to_string(),
            format!(r#"invalid price "1499.00": {no_code}"#)
        );
        for text in ["", "NOK", "NOK1499", "1499 kroner", "1 499"] {
            let error = text.parse::<Price>().unwrap_err();
            assert_eq!(error.problem(), no_code, "{text:?}");
        }
        // A code in lower case is a code, written wrongly.
        assert_eq!("1499 nok".parse::<Price>().unwrap_err().what(), "currency");
        // The amount's own errors come through.
        assert_eq!(
            "1.499 NOK".parse::<Price>().unwrap_err().value(),
            Some("1.499 NOK")
        );
        assert_eq!(
            "NOK 1499 NOK".parse::<Price>().unwrap_err().problem(),
            MUST_BE_A_NUMBER
        );
    }

    #[test]
    fn major_strings_and_floats() {
        let p = |minor, currency| Price::new(minor, currency);
        assert_eq!(p(149900, Currency::NOK).to_major_string(), "1499.00");
        assert_eq!(p(500, jpy()).to_major_string(), "500");
        assert_eq!(p(-500, jpy()).to_major_string(), "-500");
        assert_eq!(p(1234, kwd()).to_major_string(), "1.234");
        assert_eq!(p(-5, Currency::NOK).to_major_string(), "-0.05");
        assert_eq!(p(0, Currency::NOK).to_major_string(), "0.00");
        assert_eq!(
            p(i64::MIN, kwd()).to_major_string(),
            "-9223372036854775.808"
        );
        assert_eq!(p(149950, Currency::NOK).to_major_f64(), 1499.5);
        assert_eq!(p(-5, Currency::NOK).to_major_f64(), -0.05);
        assert_eq!(p(500, jpy()).to_major_f64(), 500.0);
        assert_eq!(p(1234, kwd()).to_major_f64(), 1.234);
    }

    /// `minor` in `currency`'s major unit with `,` as the decimal mark and a no-break space
    /// between thousands, as a Nordic spreadsheet writes it.
    fn nordic(minor: i64, currency: Currency) -> String {
        let plain = Price::new(minor, currency).to_major_string();
        let (sign, unsigned) = plain
            .strip_prefix('-')
            .map_or(("", plain.as_str()), |u| ("-", u));
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let mut grouped = String::new();
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push('\u{a0}');
            }
            grouped.push(digit);
        }
        if fraction.is_empty() {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped},{fraction}")
        }
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

        /// Whatever the amount, in currencies with 0, 2 and 3 decimals, the major unit as the
        /// SDK writes it, as Display writes it and as a Nordic spreadsheet writes it reads back
        /// to the same price.
        #[test]
        fn major_amounts_read_back(minor in proptest::prelude::any::<i64>(), code in "JPY|NOK|KWD") {
            let currency: Currency = code.parse().unwrap();
            let price = Price::new(minor, currency);
            proptest::prop_assert_eq!(Price::from_major(&price.to_major_string(), currency), Ok(price));
            proptest::prop_assert_eq!(price.to_string().parse::<Price>(), Ok(price));
            let nordic = nordic(minor, currency);
            proptest::prop_assert_eq!(Price::from_major(&nordic, currency), Ok(price), "{:?}", nordic);
        }

        /// Reading an amount never panics, whatever the text.
        #[test]
        fn reading_amounts_never_panics(
            text in "\\PC*|[0-9 .,\u{a0}-]{0,12}",
            code in "JPY|NOK|KWD|CLF",
        ) {
            let currency: Currency = code.parse().unwrap();
            let _ = Price::from_major(&text, currency);
            let _ = format!("{text} {code}").parse::<Price>();
            let _ = text.parse::<Price>();
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
