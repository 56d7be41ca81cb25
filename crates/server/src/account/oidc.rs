//! Sign-in through an OpenID Connect provider (authorization code flow with PKCE), so
//! that a deployment plugs into the federal identity (CSAM, itsme) or a regional one.
//!
//! * `/fr/connexion/oidc` sends the browser to the provider with a fresh `state`,
//!   `nonce` and PKCE `code_verifier` (S256), kept in a short-lived HttpOnly cookie —
//!   any server process can finish the flow.
//! * `/auth/oidc/callback` checks `state`, exchanges the code (with the verifier) at the
//!   token endpoint, verifies the ID token (signature with the provider's JWKS, `iss`,
//!   `aud`, `exp`, `nonce`), maps the role from a claim, and opens a session. The first
//!   sign-in creates the account (`iss|sub` is its subject); later sign-ins update its
//!   role and organisation from the claims. An identity whose claims map to no role is
//!   refused.
//! * Discovery (`/.well-known/openid-configuration`) and the JWKS are fetched on first
//!   use and cached; an unknown `kid` fetches the JWKS again (key rotation).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use serde::Deserialize;
use sha2::Digest;
use territoria_store::{NewUser, Role, UserChange};

use super::{SESSION_COOKIE, cookie, secret_cookie};
use crate::AppState;
use crate::error::ApiError;
use crate::pages::{InLang, Lang, PageError};

pub const CALLBACK: &str = "/auth/oidc/callback";
const FLOW_COOKIE: &str = "territoria_oidc";

/// What a deployment configures (`[oidc]` in `territoria.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The provider's issuer URL (`https://…`; `http://` only on a loopback address).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// This server's public base URL (`https://territoria.example`), for the redirect URI.
    pub public_url: String,
    /// The label of the sign-in button (e.g. "itsme", "CSAM").
    #[serde(default = "default_label")]
    pub label: String,
    /// The claim holding the roles (a string or a list of strings).
    #[serde(default = "default_role_claim")]
    pub role_claim: String,
    /// Claim value → role (`partner`, `editor`, `admin`); the highest role wins.
    pub roles: BTreeMap<String, Role>,
    /// The claim holding a partner's organisation key.
    #[serde(default)]
    pub organisation_claim: Option<String>,
}

fn default_label() -> String {
    "fournisseur d'identité / identity provider".into()
}

fn default_role_claim() -> String {
    "roles".into()
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// A configured provider with its cached discovery document and keys.
pub struct Provider {
    pub config: OidcConfig,
    discovery: Mutex<Option<Discovery>>,
    jwks: Mutex<Option<jsonwebtoken::jwk::JwkSet>>,
    http: ureq::Agent,
}

impl Provider {
    pub fn new(config: OidcConfig) -> Result<Arc<Provider>, String> {
        let secure = config.issuer.starts_with("https://");
        let loopback = config.issuer.starts_with("http://127.0.0.1")
            || config.issuer.starts_with("http://localhost")
            || config.issuer.starts_with("http://[::1]");
        if !secure && !loopback {
            return Err(format!(
                "oidc.issuer `{}`: use https:// (plain http only on a loopback address, for tests)",
                config.issuer
            ));
        }
        if config.roles.is_empty() {
            return Err("oidc.roles: map at least one claim value to a role".into());
        }
        let http = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(15)))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Arc::new(Provider {
            config,
            discovery: Mutex::new(None),
            jwks: Mutex::new(None),
            http,
        }))
    }

    fn redirect_uri(&self) -> String {
        format!("{}{CALLBACK}", self.config.public_url.trim_end_matches('/'))
    }

    fn discovery(&self) -> Result<Discovery, String> {
        if let Some(d) = self
            .discovery
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(d);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let d: Discovery = self.get_json(&url)?;
        if d.issuer.trim_end_matches('/') != self.config.issuer.trim_end_matches('/') {
            return Err(format!(
                "the provider says its issuer is {}, not {}",
                d.issuer, self.config.issuer
            ));
        }
        *self.discovery.lock().unwrap_or_else(|e| e.into_inner()) = Some(d.clone());
        Ok(d)
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        let mut res = self
            .http
            .get(url)
            .call()
            .map_err(|e| format!("{url}: {e}"))?;
        if !res.status().is_success() {
            return Err(format!("{url} answered {}", res.status()));
        }
        res.body_mut()
            .read_json()
            .map_err(|e| format!("{url}: {e}"))
    }

    fn key(&self, kid: Option<&str>, refresh: bool) -> Result<jsonwebtoken::DecodingKey, String> {
        let mut jwks = self.jwks.lock().unwrap_or_else(|e| e.into_inner());
        if jwks.is_none() || refresh {
            let d = self.discovery()?;
            *jwks = Some(self.get_json(&d.jwks_uri)?);
        }
        let set = jwks.as_ref().expect("fetched");
        let jwk = match kid {
            Some(k) => set.find(k),
            None => set.keys.first(),
        }
        .ok_or_else(|| "no key of the provider signs this token".to_owned())?;
        jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())
    }

    /// Exchanges the code and returns the verified ID token's claims.
    fn claims(&self, code: &str, verifier: &str, nonce: &str) -> Result<serde_json::Value, String> {
        let d = self.discovery()?;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            form_urlencoded::byte_serialize(self.config.client_id.as_bytes()).collect::<String>(),
            form_urlencoded::byte_serialize(self.config.client_secret.as_bytes())
                .collect::<String>()
        ));
        let redirect = self.redirect_uri();
        let mut res = self
            .http
            .post(&d.token_endpoint)
            .header("Authorization", &format!("Basic {auth}"))
            .send_form([
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect.as_str()),
                ("code_verifier", verifier),
            ])
            .map_err(|e| format!("token endpoint: {e}"))?;
        let status = res.status();
        let body: serde_json::Value = res
            .body_mut()
            .read_json()
            .map_err(|e| format!("token endpoint: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "the token endpoint refused the code ({status}): {body}"
            ));
        }
        let id_token = body["id_token"]
            .as_str()
            .ok_or("the token endpoint gave no id_token")?;
        let header = jsonwebtoken::decode_header(id_token).map_err(|e| e.to_string())?;
        let mut validation = jsonwebtoken::Validation::new(header.alg);
        validation.set_issuer(&[d.issuer.as_str()]);
        validation.set_audience(&[self.config.client_id.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let key = match self.key(header.kid.as_deref(), false) {
            Ok(k) => k,
            Err(_) => self.key(header.kid.as_deref(), true)?,
        };
        let data = jsonwebtoken::decode::<serde_json::Value>(id_token, &key, &validation)
            .map_err(|e| format!("the ID token is not valid: {e}"))?;
        if data.claims["nonce"].as_str() != Some(nonce) {
            return Err("the ID token's nonce is not this sign-in's".into());
        }
        Ok(data.claims)
    }

    /// The highest role the claims map to.
    pub fn role(&self, claims: &serde_json::Value) -> Option<Role> {
        let values: Vec<&str> = match &claims[&self.config.role_claim] {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        let rank = |r: Role| match r {
            Role::Partner => 0,
            Role::Editor => 1,
            Role::Admin => 2,
        };
        values
            .into_iter()
            .filter_map(|v| self.config.roles.get(v).copied())
            .max_by_key(|r| rank(*r))
    }
}

/// A store refusal during sign-in (a login already taken, an unknown organisation) is
/// the identity's problem, not the server's.
fn store_err(e: territoria_store::StoreError) -> ApiError {
    match e {
        territoria_store::StoreError::Unusable(m) => ApiError::Forbidden(m),
        other => other.into(),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Deserialize, Default)]
pub struct StartQuery {
    #[serde(default)]
    next: Option<String>,
}

/// `/fr/connexion/oidc`: off to the provider.
pub async fn start(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<StartQuery>,
) -> Result<Response, PageError> {
    let provider = state
        .oidc
        .clone()
        .ok_or_else(|| PageError::not_found(lang, "this instance has no identity provider"))?;
    let d = tokio::task::spawn_blocking({
        let p = provider.clone();
        move || p.discovery()
    })
    .await
    .map_err(ApiError::internal)
    .lang(lang)?
    .map_err(|e| ApiError::internal(format!("identity provider: {e}")))
    .lang(lang)?;
    let secret = || territoria_auth::secret().map_err(ApiError::internal);
    let (st, nonce, verifier) = (
        secret().lang(lang)?,
        secret().lang(lang)?,
        secret().lang(lang)?,
    );
    let challenge = b64(&sha2::Sha256::digest(verifier.as_bytes()));
    let next = super::pages::local_next(q.next.as_deref(), lang);
    let url = format!(
        "{}?{}",
        d.authorization_endpoint,
        crate::pages::query_string([
            ("response_type", "code"),
            ("client_id", provider.config.client_id.as_str()),
            ("redirect_uri", provider.redirect_uri().as_str()),
            ("scope", "openid profile email"),
            ("state", st.as_str()),
            ("nonce", nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
    );
    let flow = format!(
        "{st}.{nonce}.{verifier}.{}.{}",
        lang.code(),
        b64(next.as_bytes())
    );
    let mut res = Redirect::to(&url).into_response();
    if let Ok(v) = HeaderValue::from_str(&secret_cookie(
        FLOW_COOKIE,
        &flow,
        std::time::Duration::from_secs(600),
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// `/auth/oidc/callback`: back from the provider.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    let flow = cookie(&headers, FLOW_COOKIE).unwrap_or("").to_owned();
    let parts: Vec<&str> = flow.split('.').collect();
    let lang = parts
        .get(3)
        .and_then(|l| Lang::parse(l))
        .unwrap_or(Lang::Fr);
    let refuse = |m: String| PageError::new(lang, ApiError::Forbidden(m));
    let provider = state
        .oidc
        .clone()
        .ok_or_else(|| PageError::not_found(lang, "this instance has no identity provider"))?;
    if let Some(e) = q.error {
        return Err(refuse(format!(
            "the identity provider refused the sign-in: {e}"
        )));
    }
    let (Some(code), Some(st), [cookie_state, nonce, verifier, _, next]) =
        (q.code, q.state, parts.as_slice())
    else {
        return Err(refuse(
            "this sign-in has expired or was not started here: start it again".into(),
        ));
    };
    if !territoria_auth::same_secret(&st, cookie_state) {
        return Err(refuse(
            "this sign-in's state does not match: start it again".into(),
        ));
    }
    let next = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(next)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let next = super::pages::local_next(next.as_deref(), lang);
    let (nonce, verifier) = (nonce.to_string(), verifier.to_string());
    let session = super::with_accounts(&state, move |accounts| -> Result<String, ApiError> {
        let claims = provider
            .claims(&code, &verifier, &nonce)
            .map_err(ApiError::Forbidden)?;
        let sub = claims["sub"].as_str().unwrap_or_default();
        let subject = format!("{}|{sub}", claims["iss"].as_str().unwrap_or_default());
        let role = provider.role(&claims).ok_or_else(|| {
            ApiError::Forbidden(format!(
                "your identity has no Territoria role (claim `{}`): ask an administrator",
                provider.config.role_claim
            ))
        })?;
        let organisation = provider
            .config
            .organisation_claim
            .as_ref()
            .and_then(|c| claims[c].as_str())
            .map(str::to_owned);
        let name = claims["name"]
            .as_str()
            .or(claims["preferred_username"].as_str())
            .unwrap_or(sub)
            .to_owned();
        let actor = format!("oidc {}", provider.config.issuer);
        let user = match accounts.user_by_oidc_subject(&subject).map_err(store_err)? {
            Some(u) => accounts
                .update_user(
                    &actor,
                    u.id,
                    &UserChange {
                        role: Some(role),
                        organisation: Some(organisation),
                        display_name: Some(name),
                        ..Default::default()
                    },
                )
                .map_err(store_err)?,
            None => {
                let login = claims["preferred_username"]
                    .as_str()
                    .or(claims["email"].as_str())
                    .unwrap_or(sub)
                    .to_lowercase()
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "._-@".contains(c) {
                            c
                        } else {
                            '-'
                        }
                    })
                    .collect::<String>();
                let login = format!("oidc-{login}");
                accounts
                    .create_user(
                        &actor,
                        &NewUser {
                            login,
                            display_name: name,
                            email: claims["email"].as_str().map(str::to_owned),
                            password_hash: None,
                            role,
                            organisation,
                            strategy: None,
                            oidc_subject: Some(subject),
                        },
                    )
                    .map_err(store_err)?
            }
        };
        if user.disabled {
            return Err(ApiError::Forbidden("this account is disabled".into()));
        }
        let id = territoria_auth::secret().map_err(ApiError::internal)?;
        let csrf = territoria_auth::secret().map_err(ApiError::internal)?;
        let expires = territoria_auth::at_offset(chrono::Utc::now(), territoria_auth::SESSION_TTL);
        accounts
            .create_session(&territoria_auth::digest(&id), user.id, &csrf, &expires)
            .map_err(store_err)?;
        tracing::info!(user = user.id, "signed in through OpenID Connect");
        Ok(id)
    })
    .await
    .lang(lang)?;
    let mut res = Redirect::to(&next).into_response();
    for c in [
        secret_cookie(SESSION_COOKIE, &session, territoria_auth::SESSION_TTL),
        secret_cookie(FLOW_COOKIE, "", std::time::Duration::ZERO),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(issuer: &str) -> OidcConfig {
        OidcConfig {
            issuer: issuer.into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            public_url: "https://territoria.example".into(),
            label: default_label(),
            role_claim: "groups".into(),
            roles: [("dw-editors", Role::Editor), ("dw-admins", Role::Admin)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            organisation_claim: None,
        }
    }

    #[test]
    fn the_highest_mapped_role_wins_and_unmapped_identities_have_none() {
        let p = Provider::new(config("https://idp.example")).unwrap();
        let claims = |v: serde_json::Value| serde_json::json!({ "groups": v });
        assert_eq!(
            p.role(&claims(serde_json::json!(["x", "dw-editors", "dw-admins"]))),
            Some(Role::Admin)
        );
        assert_eq!(
            p.role(&claims(serde_json::json!("dw-editors"))),
            Some(Role::Editor)
        );
        assert_eq!(p.role(&claims(serde_json::json!(["other"]))), None);
        assert_eq!(p.role(&serde_json::json!({})), None);
        assert_eq!(
            p.redirect_uri(),
            "https://territoria.example/auth/oidc/callback"
        );
    }

    #[test]
    fn a_plain_http_issuer_is_refused_unless_it_is_on_this_machine() {
        assert!(Provider::new(config("http://idp.example")).is_err());
        assert!(Provider::new(config("http://127.0.0.1:9000")).is_ok());
        let mut c = config("https://idp.example");
        c.roles.clear();
        assert!(Provider::new(c).is_err());
    }
}
