//! Benchmark: durable observation ingest over HTTP through SensorThings' `dataArray`
//! extension (`POST /api/sta/v1.1/CreateObservations`), on a real socket.
//!
//!     cargo run --release -p territoria-server --example sta_ingest -- [clients] [requests] [datastreams] [rows]
//!
//! Defaults: 2 clients, each sending 40 requests of 10 datastreams × 1,000 rows
//! (800,000 observations). Every observation is validated (range rule on) and
//! acknowledged only once committed to disk (the engine's `synchronous = FULL`).

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use territoria_server::AppState;
use territoria_store::{AccountStore, NewUser, Role, SqliteStore};

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let (clients, requests, streams, rows) = (arg(1, 2), arg(2, 40), arg(3, 10), arg(4, 1000));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("territoria.sqlite");
    let store = Arc::new(SqliteStore::open(&path).expect("store"));
    let user = store
        .create_user(
            "bench",
            &NewUser {
                login: "bench".into(),
                display_name: "bench".into(),
                email: None,
                password_hash: None,
                role: Role::Editor,
                organisation: None,
                strategy: None,
                oidc_subject: None,
            },
        )
        .expect("user");
    let secret = "terr_bench-secret-0123456789";
    store
        .create_token(
            "bench",
            user.id,
            "bench",
            &territoria_auth::digest(secret),
            "write",
            None,
        )
        .expect("token");
    let sta = territoria_server::sta::open(&path).expect("sta");
    let base = "http://x/api/sta/v1.1";
    let mut ids = Vec::new();
    for s in 0..clients * streams {
        let c = sta
            .post(
                base,
                "Things",
                &json!({"name": format!("station {s}"), "description": "bench",
                    "Datastreams": [{"name": "level", "description": "bench",
                        "unitOfMeasurement": {"name": "metre", "symbol": "m"},
                        "observationType": "OM_Measurement",
                        "properties": {"range": [0, 100]},
                        "Sensor": {"name": "s", "description": "s", "encodingType": "text/plain", "metadata": "-"},
                        "ObservedProperty": {"name": "level", "definition": "level", "description": "level"}}]}),
            )
            .expect("thing");
        let thing = c.body["@iot.id"].as_i64().unwrap();
        let ds = sta
            .get(base, &format!("Things({thing})/Datastreams"), "")
            .expect("datastreams")["value"][0]["@iot.id"]
            .as_i64()
            .unwrap();
        ids.push(ds);
    }
    let accounts: Arc<dyn AccountStore> = store.clone();
    let state = AppState::new(store)
        .expect("state")
        .with_accounts(accounts)
        .with_sta(Some(sta));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("listen");
    let addr = listener.local_addr().expect("address");
    let app = territoria_server::router(state);
    rt.spawn(async move { axum::serve(listener, app).await });

    // Bodies prepared before the clock starts: what is measured is the server.
    let t0 = 1_717_200_000_000i64;
    let bodies: Vec<Vec<String>> = (0..clients)
        .map(|c| {
            (0..requests)
                .map(|r| {
                    let blocks: Vec<_> = (0..streams)
                        .map(|s| {
                            let ds = ids[c * streams + s];
                            let data: Vec<_> = (0..rows)
                                .map(|i| {
                                    let k = (r * rows + i) as i64;
                                    json!([
                                        territoria_sta::time::format(t0 + k * 300_000),
                                        ((k % 500) as f64) / 10.0
                                    ])
                                })
                                .collect();
                            json!({"Datastream": {"@iot.id": ds}, "components": ["phenomenonTime", "result"], "dataArray": data})
                        })
                        .collect();
                    serde_json::Value::Array(blocks).to_string()
                })
                .collect()
        })
        .collect();
    let url = format!("http://{addr}/api/sta/v1.1/CreateObservations");
    let started = Instant::now();
    let handles: Vec<_> = bodies
        .into_iter()
        .map(|mine| {
            let url = url.clone();
            std::thread::spawn(move || {
                let agent = ureq::Agent::new_with_defaults();
                for body in mine {
                    let res = agent
                        .post(&url)
                        .header("authorization", &format!("Bearer {secret}"))
                        .header("content-type", "application/json")
                        .send(body)
                        .expect("request");
                    assert_eq!(res.status(), 201);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client");
    }
    let secs = started.elapsed().as_secs_f64();
    let total = clients * requests * streams * rows;
    println!(
        "{total} observations in {secs:.2} s over HTTP dataArray ({clients} clients, {requests} requests each of {streams}×{rows}): {:.0} obs/s",
        total as f64 / secs
    );
}
