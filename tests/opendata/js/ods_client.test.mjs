// Opendatasoft's own JavaScript client, @opendatasoft/api-client (npm), unchanged, against
// a running Territoria: the catalogue, a dataset, records with every query clause, paging
// through a whole dataset, facets, text search helpers and every export it can build that
// Territoria serves.
//
// Run by .ci/opendata.sh: TERRITORIA_URL=http://127.0.0.1:PORT node --test ods_client.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

// The package's `main` is a UMD bundle: load it as CommonJS.
const require = createRequire(import.meta.url);
const ods = require("@opendatasoft/api-client");
const { ApiClient, fromCatalog, field, string, textSearch, textSuggest, textStartWith, NotFoundError } = ods;

const BASE = process.env.TERRITORIA_URL;
assert.ok(BASE, "TERRITORIA_URL names the server, e.g. http://127.0.0.1:8080");

const client = new ApiClient({ domain: BASE, fetch });
/** The same client, handing back the response's text (exports are not JSON). */
const text = (query) =>
  client.get(query, {
    interceptResponse: async (r) => {
      assert.equal(r.status, 200, `${query}: ${r.status}`);
      return r.text();
    },
  });

test("catalogue: datasets, where, refine on a multi-valued field, facets", async () => {
  const all = await client.get(fromCatalog().datasets().limit(100));
  const ids = all.results.map((d) => d.dataset_id);
  for (const id of ["organisations", "actions", "indicators", "places", "taxonomies"]) {
    assert.ok(ids.includes(id), `${id} in ${ids}`);
  }
  assert.equal(all.total_count, all.results.length);

  const big = await client.get(fromCatalog().datasets().where("records_count > 100").limit(100));
  assert.ok(big.results.length > 0 && big.results.every((d) => d.metas.default.records_count > 100));

  const geo = await client.get(fromCatalog().datasets().refine("features:geo").limit(100));
  const expected = all.results.filter((d) => d.features.includes("geo")).map((d) => d.dataset_id);
  assert.deepEqual(geo.results.map((d) => d.dataset_id).sort(), expected.sort());
  assert.ok(expected.includes("places"));

  const facets = await client.get(fromCatalog().facets().facet("features").facet("theme"));
  const features = facets.facets.find((f) => f.name === "features").facets;
  for (const f of features) {
    assert.ok(!f.name.includes(", "), `${f.name} is one value`);
    const n = all.results.filter((d) => d.features.includes(f.name)).length;
    assert.equal(f.count, n, f.name);
  }
  const refined = await client.get(fromCatalog().facets().facet("features").refine("features:geo"));
  const state = refined.facets[0].facets.find((f) => f.name === "geo").state;
  assert.equal(state, "refined");

  // The catalogue's own root and exports.
  const root = await client.get(fromCatalog().itself());
  assert.ok(Array.isArray(root.links));
  const json = JSON.parse(await text(fromCatalog().export("json")));
  assert.equal(json.length, all.total_count);
  const csv = await text(fromCatalog().export("csv"));
  assert.equal(csv.replace(/^\uFEFF/, "").trim().split("\n").length, all.total_count + 1);
  for (const format of ["rdf", "ttl", "dcat"]) {
    const rdf = await text(fromCatalog().export(format));
    assert.ok(rdf.includes("dcat"), format);
  }
});

test("a dataset: itself, and an unknown one is a NotFoundError", async () => {
  const d = await client.get(fromCatalog().dataset("places").itself());
  assert.equal(d.dataset_id, "places");
  assert.ok(d.fields.some((f) => f.name === "geo" && f.type === "geo_point_2d"));
  assert.deepEqual(d.alternative_exports, []);
  await assert.rejects(client.get(fromCatalog().dataset("nope").itself()), (e) => {
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.details.error_code, "NoSuchDataset");
    return true;
  });
});

test("records: where, select, groupBy, orderBy, refine, exclude, lang", async () => {
  const records = () => fromCatalog().dataset("organisations").records();
  const page = await client.get(records().limit(5).orderBy("id"));
  assert.equal(page.results.length, 5);
  const total = page.total_count;
  assert.ok(total > 100);

  const selected = await client.get(
    records().select("id, name, employees").where("employees >= 10").orderBy("employees DESC, id").limit(20)
  );
  assert.ok(selected.results.length > 0);
  for (const r of selected.results) {
    assert.deepEqual(Object.keys(r), ["id", "name", "employees"]);
    assert.ok(r.employees >= 10);
  }
  const emp = selected.results.map((r) => r.employees);
  assert.deepEqual(emp, [...emp].sort((a, b) => b - a));

  const groups = await client.get(
    records().select("province, count(*) AS n").groupBy("province").orderBy("n DESC").limit(20)
  );
  const sum = groups.results.reduce((s, g) => s + g.n, 0);
  assert.equal(sum, total);

  const province = groups.results.find((g) => g.province)?.province;
  const inProvince = await client.get(records().refine(`province:${province}`).limit(0));
  const elsewhere = await client.get(records().exclude(`province:${province}`).limit(0));
  const group = groups.results.find((g) => g.province === province).n;
  assert.equal(inProvince.total_count, group);
  assert.equal(elsewhere.total_count, total - group);

  // lang: the labels of dictionary fields (a province in Dutch differs from French).
  const nl = await client.get(records().select("province").where("province IS NOT NULL").orderBy("id").limit(50).lang("nl"));
  const fr = await client.get(records().select("province").where("province IS NOT NULL").orderBy("id").limit(50).lang("fr"));
  assert.equal(nl.results.length, fr.results.length);
  assert.ok(nl.results.some((r, i) => r.province !== fr.results[i].province), "some province has a Dutch name");

  // The client's clause helpers: field(), string(), the text functions.
  const first = page.results[0];
  const exact = await client.get(records().where(`${field("id")} = ${string(first.id)}`));
  assert.equal(exact.total_count, 1);
  const word = first.name.split(/[^\p{L}\p{N}]+/u).find((w) => w.length >= 4);
  for (const clause of [
    textSearch(word),
    textSearch(word, ["name"]),
    textSuggest(word.slice(0, 3)),
    textSuggest(word.slice(0, 3), ["name"]),
    textStartWith(first.name.slice(0, 3), ["name"]),
  ]) {
    const r = await client.get(records().where(clause).select("id").limit(100));
    assert.ok(r.total_count > 0, clause);
  }
  const one = await client.get(fromCatalog().dataset("organisations").record(first.id));
  assert.equal(one.id, first.id);
});

test("paging through a whole dataset with limit and offset gives every record once", async () => {
  const records = () => fromCatalog().dataset("organisations").records();
  const { total_count } = await client.get(records().limit(0));
  const seen = new Set();
  for (let offset = 0; offset < total_count; offset += 100) {
    const page = await client.get(records().select("id").orderBy("id").limit(100).offset(offset));
    for (const r of page.results) {
      assert.ok(!seen.has(r.id), `${r.id} twice`);
      seen.add(r.id);
    }
  }
  assert.equal(seen.size, total_count);
});

test("dataset facets", async () => {
  const f = await client.get(fromCatalog().dataset("places").facets().facet("kind").facet("province"));
  assert.deepEqual(f.facets.map((x) => x.name), ["kind", "province"]);
  const { total_count } = await client.get(fromCatalog().dataset("places").records().limit(0));
  const kinds = f.facets[0].facets.reduce((s, v) => s + v.count, 0);
  assert.equal(kinds, total_count);
});

test("every export format the client builds that Territoria serves", async () => {
  const { total_count } = await client.get(fromCatalog().dataset("places").records().limit(0));
  const exp = (format) => fromCatalog().dataset("places").export(format);
  const csv = await text(exp("csv"));
  assert.equal(csv.replace(/^\uFEFF/, "").trim().split("\n").length, total_count + 1);
  const json = JSON.parse(await text(exp("json")));
  assert.equal(json.length, total_count);
  const jsonl = (await text(exp("jsonl"))).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(jsonl.length, total_count);
  const geojson = JSON.parse(await text(exp("geojson")));
  assert.equal(geojson.type, "FeatureCollection");
  assert.equal(geojson.features.length, total_count);
  assert.equal(geojson.features[0].geometry.type, "Point");
  // With a query, as the client builds it.
  const some = JSON.parse(await text(exp("json").where("geo IS NOT NULL").select("id, geo").limit(3)));
  assert.equal(some.length, 3);
  assert.deepEqual(Object.keys(some[0]), ["id", "geo"]);
});
