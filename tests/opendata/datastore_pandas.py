#!/usr/bin/env python3
"""pandas reading Territoria's CKAN DataStore (`datastore_search`), as notebooks do:
the resources flagged `datastore_active` in package_show, a first page read into a
DataFrame with the columns of `fields`, then every page by following `_links.next` until
`total` rows; filters, q, sort and fields; the same through ckanapi.

Usage: datastore_pandas.py BASE_URL      (prints PASS/FAIL lines; exit 1 on a failure)
"""
import json
import sys
import urllib.parse
import urllib.request

import ckanapi
import pandas as pd

FAILURES = []


def check(cond, what):
    print(("PASS " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def get(base, path_or_action, **params):
    if path_or_action.startswith("/"):
        url = base + path_or_action
    else:
        url = base + "/api/3/action/" + path_or_action + "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=120) as r:
        body = json.load(r)
    assert body["success"], body
    return body["result"]


def main():
    base = sys.argv[1].rstrip("/")
    pkg = get(base, "package_show", id="organisations")
    active = [r for r in pkg["resources"] if r.get("datastore_active")]
    check(len(active) == 1 and active[0]["format"] == "CSV", "one DataStore resource (the CSV)")
    rid = active[0]["id"]
    records_count = int(next(e["value"] for e in pkg["extras"] if e["key"] == "records_count"))

    first = get(base, "datastore_search", resource_id=rid, limit=500)
    columns = [f["id"] for f in first["fields"]]
    df = pd.DataFrame(first["records"], columns=columns)
    check(columns[0] == "_id" and list(df.columns) == columns, "DataFrame columns follow fields")
    check(len(df) == 500 and first["total"] == records_count, f"first page: {len(df)} of {first['total']}")
    check(df["_id"].tolist() == list(range(1, 501)), "_id numbers rows from 1")
    types = {f["id"]: f["type"] for f in first["fields"]}
    check(types["employees"] == "int" and types["name"] == "text", f"field types {types}")
    check(pd.api.types.is_numeric_dtype(pd.to_numeric(df["employees"], errors="coerce")), "numeric column")

    # Every page through _links.next, as CKAN's own clients do.
    frames, page, pages = [df], first, 1
    while len(page["records"]) == page["limit"] and pages < 1000:
        page = get(base, page["_links"]["next"])
        pages += 1
        if page["records"]:
            frames.append(pd.DataFrame(page["records"], columns=columns))
    full = pd.concat(frames, ignore_index=True)
    check(len(full) == records_count, f"{pages} pages: {len(full)} rows, total {records_count}")
    check(full["_id"].is_unique and full["id"].is_unique, "no row twice")

    province = full["province"].dropna().iloc[0]
    f = get(base, "datastore_search", resource_id=rid, limit=32000,
            filters=json.dumps({"province": province}))
    want = int((full["province"] == province).sum())
    check(f["total"] == want == len(f["records"]), f"filters province={province}: {f['total']} = {want}")
    s = get(base, "datastore_search", resource_id=rid, limit=20, sort="employees desc",
            fields="_id,name,employees")
    sdf = pd.DataFrame(s["records"])
    check(list(sdf.columns) == ["_id", "name", "employees"], "fields selects columns")
    emp = pd.to_numeric(sdf["employees"], errors="coerce").fillna(-1).tolist()
    check(emp == sorted(emp, reverse=True), "sort employees desc")
    name = full["name"].iloc[0]
    q = get(base, "datastore_search", resource_id=rid, q=name)
    check(any(r["name"] == name for r in q["records"]), f"q={name!r}")

    with ckanapi.RemoteCKAN(base, user_agent="territoria-ci/1.0") as ckan:
        r = ckan.action.datastore_search(resource_id="places-csv", limit=0)
        check(r["records"] == [] and r["total"] >= 1 and r["fields"], "ckanapi datastore_search limit=0")
        try:
            ckan.action.datastore_search(resource_id=rid, filters={"nope": 1})
            check(False, "unknown filter field refused")
        except ckanapi.ValidationError:
            check(True, "unknown filter field refused (ValidationError)")
        try:
            ckan.action.datastore_search(resource_id="nope")
            check(False, "unknown resource refused")
        except ckanapi.NotFound:
            check(True, "unknown resource refused (NotFound)")

    if FAILURES:
        print(f"datastore_pandas: FAILED ({len(FAILURES)} checks)")
        return 1
    print("datastore_pandas: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
