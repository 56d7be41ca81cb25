//! The SensorThings API v1.1 over HTTP, in process: the client flow (Thing with its
//! Location and Datastream → observations one by one and as a dataArray → queries with
//! $filter, $orderby, $top, $expand, $count and the next link), writes refused without
//! an editor's token, bad input named, and validation flags in resultQuality.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

use territoria_server::{AppState, router};
use territoria_store::{AccountStore, NewUser, Role, SqliteStore};

const BASE: &str = "http://localhost/api/sta/v1.1";

struct World {
    _dir: tempfile::TempDir,
    state: AppState,
    editor: String,
    reader: String,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("territoria.sqlite");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let mut tokens = Vec::new();
    for (login, role, scope) in [
        ("editor", Role::Editor, "write"),
        ("reader", Role::Editor, "read"),
    ] {
        let user = store
            .create_user(
                "test",
                &NewUser {
                    login: login.into(),
                    display_name: login.into(),
                    email: None,
                    password_hash: None,
                    role,
                    organisation: None,
                    strategy: None,
                    oidc_subject: None,
                },
            )
            .unwrap();
        let secret = format!(
            "terr_test-{login}-{}",
            &territoria_auth::secret().unwrap()[..8]
        );
        store
            .create_token(
                "test",
                user.id,
                "test",
                &territoria_auth::digest(&secret),
                scope,
                None,
            )
            .unwrap();
        tokens.push(format!("Bearer {secret}"));
    }
    let accounts: Arc<dyn AccountStore> = store.clone();
    let state = AppState::new(store)
        .unwrap()
        .with_accounts(accounts)
        .with_sta(Some(territoria_server::sta::open(&path).unwrap()));
    World {
        _dir: dir,
        state,
        reader: tokens.pop().unwrap(),
        editor: tokens.pop().unwrap(),
    }
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    json: Value,
}

async fn send(
    app: Router,
    method: Method,
    uri: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let uri = uri.strip_prefix("http://localhost").unwrap_or(uri);
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "localhost");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let res = app.oneshot(req.body(body).unwrap()).await.unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
    };
    Answer {
        status,
        location,
        json,
    }
}

impl World {
    async fn get(&self, uri: &str) -> Answer {
        send(router(self.state.clone()), Method::GET, uri, None, None).await
    }
    async fn write(&self, method: Method, uri: &str, body: Value) -> Answer {
        send(
            router(self.state.clone()),
            method,
            uri,
            Some(&self.editor),
            Some(body),
        )
        .await
    }
    async fn get_ok(&self, uri: &str) -> Value {
        let a = self.get(uri).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.json);
        a.json
    }
}

fn thing(range: Value) -> Value {
    json!({
        "name": "Vesdre à Chaudfontaine",
        "description": "level station (demo)",
        "properties": {"demo": true},
        "Locations": [{
            "name": "Chaudfontaine",
            "description": "gauge",
            "encodingType": "application/geo+json",
            "location": {"type": "Point", "coordinates": [5.64, 50.59]}
        }],
        "Datastreams": [{
            "name": "water level",
            "description": "level every 5 minutes",
            "unitOfMeasurement": {"name": "metre", "symbol": "m", "definition": "http://qudt.org/vocab/unit/M"},
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            "properties": {"range": range, "stuckCount": 3, "maxRateOfChange": 0.01},
            "Sensor": {"name": "radar", "description": "radar gauge", "encodingType": "text/plain", "metadata": "none"},
            "ObservedProperty": {"name": "level", "definition": "http://example.org/level", "description": "water level"}
        }]
    })
}

/// The thing's id and its datastream's.
async fn create_station(w: &World) -> (i64, i64) {
    let a = w
        .write(Method::POST, "/api/sta/v1.1/Things", thing(json!([0, 10])))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json);
    let id = a.json["@iot.id"].as_i64().unwrap();
    assert_eq!(
        a.location.as_deref(),
        Some(format!("{BASE}/Things({id})").as_str())
    );
    let ds = w
        .get_ok(&format!("/api/sta/v1.1/Things({id})/Datastreams"))
        .await;
    (id, ds["value"][0]["@iot.id"].as_i64().unwrap())
}

fn t(minutes: i64) -> String {
    territoria_sta::time::format(1_717_200_000_000 + minutes * 60_000)
}

#[tokio::test]
async fn a_client_creates_a_station_posts_observations_and_queries_them() {
    let w = world();
    let root = w.get_ok("/api/sta/v1.1").await;
    let conf = root["serverSettings"]["conformance"].as_array().unwrap();
    assert!(
        conf.iter()
            .any(|c| c.as_str().unwrap().ends_with("create-update-delete"))
    );
    assert_eq!(root["value"][0]["url"], format!("{BASE}/Things"));

    let (thing, ds) = create_station(&w).await;
    // The deep insert made the location, its historical location, sensor and property.
    let hl = w
        .get_ok(&format!(
            "/api/sta/v1.1/Things({thing})/HistoricalLocations?$expand=Locations"
        ))
        .await;
    assert_eq!(hl["value"][0]["Locations"][0]["name"], "Chaudfontaine");
    let d = w
        .get_ok(&format!(
            "/api/sta/v1.1/Datastreams({ds})?$expand=Sensor,ObservedProperty,Thing($select=name)"
        ))
        .await;
    assert_eq!(d["Sensor"]["name"], "radar");
    assert_eq!(d["Thing"], json!({"name": "Vesdre à Chaudfontaine"}));
    assert_eq!(d["phenomenonTime"], Value::Null);
    assert_eq!(
        d["Observations@iot.navigationLink"],
        format!("{BASE}/Datastreams({ds})/Observations")
    );

    // One observation, then the same through the datastream's path.
    let one = w
        .write(
            Method::POST,
            "/api/sta/v1.1/Observations",
            json!({"phenomenonTime": t(0), "result": 1.0, "Datastream": {"@iot.id": ds}}),
        )
        .await;
    assert_eq!(one.status, StatusCode::CREATED, "{}", one.json);
    assert_eq!(one.json["result"], 1.0);
    assert_eq!(one.json["resultQuality"], Value::Null);
    let two = w
        .write(
            Method::POST,
            &format!("/api/sta/v1.1/Datastreams({ds})/Observations"),
            json!({"phenomenonTime": t(5), "result": 1.01}),
        )
        .await;
    assert_eq!(two.status, StatusCode::CREATED, "{}", two.json);
    let self_link = two.json["@iot.selfLink"].as_str().unwrap().to_owned();
    assert_eq!(w.get_ok(&self_link).await["result"], 1.01);

    // Ten more as a dataArray.
    let rows: Vec<Value> = (2..12)
        .map(|i| json!([t(i * 5), format!("1.{i:02}").parse::<f64>().unwrap()]))
        .collect();
    let a = w
        .write(
            Method::POST,
            "/api/sta/v1.1/CreateObservations",
            json!([{"Datastream": {"@iot.id": ds}, "components": ["phenomenonTime", "result"], "dataArray@iot.count": 10, "dataArray": rows}]),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json);
    assert_eq!(a.json.as_array().unwrap().len(), 10);

    // The feature of interest came from the Thing's location.
    let f = w.get_ok(&format!("{self_link}/FeatureOfInterest")).await;
    assert_eq!(f["feature"]["coordinates"], json!([5.64, 50.59]));

    // $filter, $orderby, $top, $count and the next link.
    let q = format!(
        "/api/sta/v1.1/Datastreams({ds})/Observations?$filter=result%20ge%201.05%20and%20phenomenonTime%20lt%20{}&$orderby=phenomenonTime%20desc&$top=2&$count=true",
        t(50)
    );
    let page = w.get_ok(&q).await;
    assert_eq!(page["@iot.count"], 5, "{page}");
    let results: Vec<f64> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["result"].as_f64().unwrap())
        .collect();
    assert_eq!(results, [1.09, 1.08]);
    let next = page["@iot.nextLink"].as_str().unwrap().to_owned();
    let page2 = w.get_ok(&next).await;
    let results: Vec<f64> = page2["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["result"].as_f64().unwrap())
        .collect();
    assert_eq!(results, [1.07, 1.06]);
    let last = w.get_ok(page2["@iot.nextLink"].as_str().unwrap()).await;
    assert_eq!(last["value"].as_array().unwrap().len(), 1);
    assert!(last.get("@iot.nextLink").is_none());

    // $expand nested with its own options: the newest observation of each datastream.
    let e = w
        .get_ok("/api/sta/v1.1/Things?$filter=startswith(name,'Vesdre')&$expand=Datastreams($expand=Observations($orderby=phenomenonTime%20desc;$top=1;$count=true))")
        .await;
    let obs = &e["value"][0]["Datastreams"][0];
    assert_eq!(obs["Observations@iot.count"], 12);
    assert_eq!(obs["Observations"][0]["result"], 1.11);
    assert!(
        obs["Observations@iot.nextLink"]
            .as_str()
            .unwrap()
            .contains("Observations")
    );
    // The datastream's phenomenonTime spans its observations now.
    let d = w.get_ok(&format!("/api/sta/v1.1/Datastreams({ds})")).await;
    assert_eq!(d["phenomenonTime"], format!("{}/{}", t(0), t(55)));
    // Navigation through a single link in a filter.
    let by_thing = w.get_ok(&format!("/api/sta/v1.1/Observations?$filter=Datastream/Thing/@iot.id%20eq%20{thing}&$count=true&$top=0")).await;
    assert_eq!(by_thing["@iot.count"], 12);

    // $batch: a create and a read.
    let b = w
        .write(
            Method::POST,
            "/api/sta/v1.1/$batch",
            json!({"requests": [
                {"id": "a", "method": "post", "url": "Things", "body": {"name": "Ourthe", "description": "x"}},
                {"id": "b", "method": "get", "url": "Things?$count=true&$top=0"}
            ]}),
        )
        .await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.json);
    assert_eq!(b.json["responses"][0]["status"], 201);
    assert_eq!(b.json["responses"][1]["body"]["@iot.count"], 2);

    // PATCH and DELETE.
    let p = w
        .write(
            Method::PATCH,
            &format!("/api/sta/v1.1/Things({thing})"),
            json!({"name": "Vesdre (Chaudfontaine)"}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.json);
    assert_eq!(
        w.get_ok(&format!("/api/sta/v1.1/Things({thing})/name/$value"))
            .await,
        "Vesdre (Chaudfontaine)"
    );
    let del = send(
        router(w.state.clone()),
        Method::DELETE,
        &format!("/api/sta/v1.1/Things({thing})"),
        Some(&w.editor),
        None,
    )
    .await;
    assert_eq!(del.status, StatusCode::OK);
    assert_eq!(
        w.get(&format!("/api/sta/v1.1/Datastreams({ds})"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn observations_are_flagged_with_a_reason_and_never_dropped() {
    let w = world();
    let (_, ds) = create_station(&w).await;
    // range [0, 10], stuck after 3 equal values, at most 0.01 m/s.
    let rows = json!([
        [t(0), 1.0],   // fine
        [t(5), 20.0],  // out of range, and too fast
        [t(10), 20.0], // out of range
        [t(15), 20.0], // out of range, stuck
        [t(15), 2.0],  // duplicate time
        [t(7), 2.0]    // out of order
    ]);
    let a = w
        .write(Method::POST, "/api/sta/v1.1/CreateObservations", json!([{"Datastream": {"@iot.id": ds}, "components": ["phenomenonTime", "result"], "dataArray": rows}]))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json);
    let links: Vec<String> = a
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(links.len(), 6);
    assert_ne!(links[3], links[4], "a duplicate time gets an id of its own");
    let mut flags = Vec::new();
    for l in &links {
        let o = w.get_ok(l).await;
        let names: Vec<String> = match o["resultQuality"].as_array() {
            Some(a) => a
                .iter()
                .map(|q| q["flag"].as_str().unwrap().to_owned())
                .collect(),
            None => Vec::new(),
        };
        flags.push(names);
    }
    assert_eq!(
        flags,
        [
            vec![],
            vec!["range".to_owned(), "rate_of_change".into()],
            vec!["range".into()],
            vec!["range".into(), "stuck".into()],
            vec!["duplicate".into()],
            vec!["out_of_order".into()],
        ]
    );
    let o = w.get_ok(&links[1]).await;
    assert!(
        o["resultQuality"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("[0, 10]")
    );
    let all = w
        .get_ok(&format!(
            "/api/sta/v1.1/Datastreams({ds})/Observations?$count=true"
        ))
        .await;
    assert_eq!(all["@iot.count"], 6, "nothing dropped");
}

#[tokio::test]
async fn writes_need_an_editor_and_bad_input_is_named() {
    let w = world();
    let app = || router(w.state.clone());
    let anon = send(
        app(),
        Method::POST,
        "/api/sta/v1.1/Things",
        None,
        Some(json!({"name": "x", "description": "y"})),
    )
    .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    let reader = send(
        app(),
        Method::POST,
        "/api/sta/v1.1/Things",
        Some(&w.reader),
        Some(json!({"name": "x", "description": "y"})),
    )
    .await;
    assert_eq!(reader.status, StatusCode::FORBIDDEN, "{}", reader.json);
    assert_eq!(
        w.get_ok("/api/sta/v1.1/Things?$count=true").await["@iot.count"],
        0
    );

    let (_, ds) = create_station(&w).await;
    // A bad filter: the parameter and the character.
    let a = w.get("/api/sta/v1.1/Things?$filter=name%20eq").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json["error"]["parameter"], "$filter");
    assert!(
        a.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("character 8"),
        "{}",
        a.json
    );
    let a = w.get("/api/sta/v1.1/Things?$top=-1").await;
    assert_eq!(a.json["error"]["parameter"], "$top");
    let a = w.get("/api/sta/v1.1/Thingz").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Things")
    );
    assert_eq!(
        w.get("/api/sta/v1.1/Things(999)").await.status,
        StatusCode::NOT_FOUND
    );

    // Observations of an unknown datastream are refused with its id.
    let a = w
        .write(
            Method::POST,
            "/api/sta/v1.1/Observations",
            json!({"result": 1, "Datastream": {"@iot.id": 424242}}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("424242")
    );
    let a = w
        .write(Method::POST, "/api/sta/v1.1/CreateObservations", json!([{"Datastream": {"@iot.id": 424242}, "components": ["result"], "dataArray": [[1]]}]))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // A bad row refuses the whole request, naming the row and the cell.
    let a = w
        .write(
            Method::POST,
            "/api/sta/v1.1/CreateObservations",
            json!([{"Datastream": {"@iot.id": ds}, "components": ["phenomenonTime", "result"], "dataArray": [[t(0), 1], [t(5), "high"]]}]),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json["error"]["parameter"], "body: [0].dataArray[1][1]");
    assert_eq!(
        w.get_ok(&format!(
            "/api/sta/v1.1/Datastreams({ds})/Observations?$count=true"
        ))
        .await["@iot.count"],
        0
    );
    // A datastream missing its sensor is refused and nothing is written (one transaction).
    let mut bad = thing(json!([0, 1]));
    bad["Datastreams"][0]
        .as_object_mut()
        .unwrap()
        .remove("Sensor");
    let a = w.write(Method::POST, "/api/sta/v1.1/Things", bad).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json["error"]["parameter"], "body: Datastreams[0].Sensor");
    assert_eq!(
        w.get_ok("/api/sta/v1.1/Things?$count=true").await["@iot.count"],
        1
    );
    assert_eq!(
        w.get_ok("/api/sta/v1.1/Locations?$count=true").await["@iot.count"],
        1
    );
    // A malformed validation rule is refused rather than ignored.
    let a = w
        .write(Method::POST, "/api/sta/v1.1/Things", thing(json!([5, 1])))
        .await;
    assert_eq!(
        a.json["error"]["parameter"],
        "body: Datastreams[0].properties.range"
    );
    // Observations are append-only.
    let o = w
        .write(
            Method::POST,
            "/api/sta/v1.1/Observations",
            json!({"result": 1, "Datastream": {"@iot.id": ds}}),
        )
        .await;
    let del = send(
        app(),
        Method::DELETE,
        o.json["@iot.selfLink"].as_str().unwrap(),
        Some(&w.editor),
        None,
    )
    .await;
    assert_eq!(del.status, StatusCode::METHOD_NOT_ALLOWED);
}
