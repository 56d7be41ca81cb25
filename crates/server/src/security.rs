//! Security headers on every response and the request size limit.
//!
//! * A strict Content-Security-Policy: scripts and styles from this origin only (no
//!   inline script, no `eval`); only inline `style` *attributes* are allowed (the bars
//!   and legend swatches size themselves with them); nothing may frame the pages.
//! * `Referrer-Policy`, `Permissions-Policy` (geolocation for this origin only, for
//!   « utiliser ma position »; no camera, microphone or payment), `X-Frame-Options`.
//! * `Strict-Transport-Security` when the request came through TLS: either the
//!   deployment says it runs behind TLS (`behind_tls`), or a TLS-terminating proxy in
//!   front says so with `X-Forwarded-Proto: https` — which only counts when the
//!   deployment trusts its proxy, i.e. when `behind_tls` is set.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The largest request body accepted (a bulk CSV update of a whole collection fits).
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// The Content-Security-Policy of every response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
frame-ancestors 'none'";

/// The Permissions-Policy of every response.
pub const PERMISSIONS_POLICY: &str =
    "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), interest-cohort=()";

/// Whether this process runs behind TLS (set once at start-up by the binary).
static BEHIND_TLS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Declares that the server is reached through TLS (a reverse proxy terminating HTTPS):
/// responses then carry HSTS and session cookies are `Secure`. Call before serving.
pub fn set_behind_tls(on: bool) {
    let _ = BEHIND_TLS.set(on);
}

/// Whether responses go out over TLS (see [`set_behind_tls`]).
pub fn behind_tls() -> bool {
    BEHIND_TLS.get().copied().unwrap_or(false)
}

/// Adds the security headers to every response.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut res = next.run(request).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if behind_tls() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}
