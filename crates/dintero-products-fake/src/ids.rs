//! Which account ids the fake accepts.
//!
//! The rule is the client crate's `AccountId` (the spec's pattern), so the SDK, the client and
//! the fake cannot disagree on it; this import is the only line of the fake that names that
//! type. Catalog, group and product ids need no rule here: the request bodies' types carry the
//! client crate's id types, which check them when the body is read.

use dintero_products_client::AccountId;

use crate::errors::ApiError;

/// Whether `aid` is an account id the fake (and Dintero) accepts: `P` or `T` and eight digits,
/// the pattern of the API's specification, checked by the client crate's `AccountId`.
///
/// ```
/// use dintero_products_fake::is_valid_account_id;
///
/// assert!(is_valid_account_id("T12345678"));
/// assert!(!is_valid_account_id("X12345678"));
/// ```
pub fn is_valid_account_id(aid: &str) -> bool {
    aid.parse::<AccountId>().is_ok()
}

/// `400` naming the account id and the rule it breaks.
pub(crate) fn check_account_id(aid: &str) -> Result<(), ApiError> {
    match aid.parse::<AccountId>() {
        Ok(_) => Ok(()),
        Err(e) => Err(ApiError::bad_request(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        assert!(is_valid_account_id("T12345678"));
        assert!(is_valid_account_id("P00000000"));
        assert!(!is_valid_account_id("X12345678"));
        assert!(!is_valid_account_id("T1234567"));
        assert!(!is_valid_account_id("T123456789"));
        assert!(!is_valid_account_id("T1234567a"));
        assert!(!is_valid_account_id("T1234567٣"));
        let message = check_account_id("X1").err().map(|e| e.message);
        assert!(message.is_some_and(|m| m.contains("X1")));
    }
}
