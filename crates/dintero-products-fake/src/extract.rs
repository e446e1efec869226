//! axum extractors that answer their failures the way the API does: with Dintero's JSON error
//! body instead of axum's plain-text rejections, and in the API's order (path, then
//! authentication, then query, then body).

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::dialect::Dialect;
use crate::errors::ApiError;
use crate::ids::check_account_id;
use crate::state::App;

/// The largest request body read; larger bodies get `400`.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// The path's parameters, each segment percent-decoded on its own by axum's [`Path`] (so an
/// id `a/b` sent as `a%2Fb` stays one segment), and decoded exactly once.
///
/// A malformed escape (`%zz`, a lone `%`) is a `400`: axum would pass it through as literal
/// text, and the API would then look up an id the client never meant.
pub(crate) struct Ids<T>(pub T);

impl<T, S> FromRequestParts<S> for Ids<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // The route matched, so its fixed segments hold no `%`: any escape is in an id.
        if let Some(segment) = parts
            .uri
            .path()
            .split('/')
            .find(|segment| !escapes_are_well_formed(segment))
        {
            return Err(ApiError::bad_request(format!(
                "invalid percent-encoding in {segment:?}"
            )));
        }
        let Path(ids) = Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        Ok(Ids(ids))
    }
}

/// Whether every `%` starts a two-hex-digit escape.
fn escapes_are_well_formed(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    })
}

/// The account id of a path.
#[derive(Deserialize)]
pub(crate) struct AccountPath {
    pub aid: String,
}

/// A request on an account's API routes whose bearer token is valid, unexpired, and was
/// issued for the account in the path; with the path's other ids.
///
/// `401` without such a token, `400` for an account id that breaks the rule, `403` for a
/// token issued for another account.
pub(crate) struct Authorized<T> {
    pub aid: String,
    pub ids: T,
}

impl<T> FromRequestParts<Arc<App>> for Authorized<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let Ids(ids) = Ids::<T>::from_request_parts(parts, app).await?;
        let Ids(AccountPath { aid }) = Ids::from_request_parts(parts, app).await?;
        let token_account = app.tokens.account_of(&parts.headers)?;
        check_account_id(&aid)?;
        if token_account != aid {
            return Err(ApiError::forbidden(format!(
                "the access token was issued for account {token_account}, not {aid}"
            )));
        }
        Ok(Authorized { aid, ids })
    }
}

/// The request's dialect: the one the middleware read when the request arrived, so that a
/// change of dialect meanwhile does not give one request two.
pub(crate) struct Spoken(pub Arc<Dialect>);

impl FromRequestParts<Arc<App>> for Spoken {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Infallible> {
        let dialect = parts.extensions.get::<Arc<Dialect>>().cloned();
        Ok(Spoken(dialect.unwrap_or_else(|| app.dialect())))
    }
}

/// The query string, through axum's [`Query`].
pub(crate) struct Params<T>(pub T);

impl<T, S> FromRequestParts<S> for Params<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(params) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        Ok(Params(params))
    }
}

/// The body as bytes, whatever its content type (the API does not insist on one).
pub(crate) struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        axum::body::to_bytes(request.into_body(), MAX_BODY)
            .await
            .map(RawBody)
            .map_err(|e| ApiError::bad_request(format!("could not read the body: {e}")))
    }
}

/// A JSON body; one that does not parse is a `400` with serde's message.
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let RawBody(bytes) = RawBody::from_request(request, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_escapes_are_found() {
        for good in ["", "a", "a%2Fb", "%C3%B8", "%25", "a%2f"] {
            assert!(escapes_are_well_formed(good), "{good}");
        }
        for bad in ["%", "abc%", "%z1", "%1", "a%zz", "%%41"] {
            assert!(!escapes_are_well_formed(bad), "{bad}");
        }
    }
}
