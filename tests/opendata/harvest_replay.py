#!/usr/bin/env python3
"""A replay of ckanext-harvest's CKAN harvester gather stage against a running Territoria.

The harvester (ckanext/harvest/harvesters/ckanharvester.py, `gather_stage` and
`_search_for_datasets`) pages through `GET /api/3/action/package_search` with
`rows=100`, `start=0, 100, …`, `sort=id asc` and `fq` the space-joined filter terms:

* organisation / group include filters: `organization:a OR organization:b`
  (`groups:x OR groups:y`); exclude filters: `-organization:a`, `-groups:x`;
* an incremental run (after an error-free job): `metadata_modified:[<since>Z TO *]` with
  `since = (gather_started - 1 hour).isoformat()` (naive UTC, microseconds);
* it stops at the first empty page, refuses a page equal to the previous one ("The paging
  doesn't seem to work") and drops ids already seen.

Each run must find every expected dataset exactly once.

Usage: harvest_replay.py BASE_URL        (prints PASS/FAIL lines; exit 1 on a failure)
"""
import datetime
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

FAILURES = []


def check(cond, what):
    print(("PASS " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


def search_for_datasets(base, fq_terms, rows=100):
    """ckanext-harvest's `_search_for_datasets`, its requests exactly."""
    url0 = base + "/api/3/action/package_search"
    params = {"rows": str(rows), "start": "0"}
    params["sort"] = "id asc"
    if fq_terms:
        params["fq"] = " ".join(fq_terms)
    pkg_dicts, pkg_ids, previous, requests = [], set(), None, 0
    while True:
        url = url0 + "?" + urllib.parse.urlencode(params)
        content = get(url)
        requests += 1
        if previous and content == previous:
            raise RuntimeError("The paging doesn't seem to work. URL: %s" % url)
        previous = content
        response = json.loads(content)
        page = response.get("result", {}).get("results", [])
        ids = set(p["id"] for p in page)
        dup = ids & pkg_ids
        if dup:
            page = [p for p in page if p["id"] not in dup]
        pkg_ids |= ids
        pkg_dicts.extend(page)
        if len(page) == 0:
            break
        params["start"] = str(int(params["start"]) + int(params["rows"]))
        if requests > 1000:
            raise RuntimeError("no end to the paging")
    return pkg_dicts


def action(base, name, **params):
    url = base + "/api/3/action/" + name + "?" + urllib.parse.urlencode(params)
    return json.loads(get(url))["result"]


def run(base, label, fq_terms, expected, rows=100):
    try:
        found = search_for_datasets(base, fq_terms, rows)
    except (RuntimeError, urllib.error.HTTPError) as e:
        check(False, f"{label}: {e}")
        return
    ids = [p["id"] for p in found]
    check(len(ids) == len(set(ids)), f"{label}: each dataset once ({len(ids)} found)")
    check(set(ids) == set(expected),
          f"{label}: the {len(set(expected))} expected datasets" + ("" if set(ids) == set(expected) else f" (got {sorted(ids)}, expected {sorted(expected)})"))
    check(ids == sorted(ids), f"{label}: sorted by id")


def main():
    base = sys.argv[1].rstrip("/")
    every = action(base, "package_list")
    check(len(every) >= 8, f"package_list: {len(every)} datasets")
    groups = action(base, "group_list")
    g1, g2 = groups[0], groups[1]
    in_g1 = {p["id"] for p in action(base, "package_search", fq=f"groups:{g1}", rows=1000)["results"]}
    in_g2 = {p["id"] for p in action(base, "package_search", fq=f"groups:{g2}", rows=1000)["results"]}

    # A full run, no filters; the same with the dataset-type filter and small pages.
    run(base, "full run", [], every)
    run(base, "full run, +dataset_type:dataset", ["+dataset_type:dataset"], every)
    run(base, "full run, rows=3", [], every, rows=3)
    # Organisation and group include / exclude filters.
    run(base, "organizations_filter_include",
        ["organization:territoria OR organization:elsewhere"], every)
    run(base, "organizations_filter_exclude", ["-organization:territoria"], [])
    run(base, "groups_filter_include", [f"groups:{g1} OR groups:{g2}"], in_g1 | in_g2)
    run(base, "groups_filter_exclude", [f"-groups:{g1}", f"-groups:{g2}"],
        set(every) - in_g1 - in_g2)
    # Incremental runs: the last error-free job started an hour ago (the store was written
    # just now, so everything changed since), or tomorrow (nothing changed since).
    for label, started, expected in [
        ("incremental run, changes since", datetime.datetime.utcnow() - datetime.timedelta(days=30), every),
        ("incremental run, no change since", datetime.datetime.utcnow() + datetime.timedelta(days=1), []),
    ]:
        since = (started - datetime.timedelta(hours=1)).isoformat()
        run(base, label, ["metadata_modified:[{since}Z TO *]".format(since=since)], expected)
        run(base, label + ", with an include filter",
            [f"groups:{g1} OR groups:{g2}", "metadata_modified:[{since}Z TO *]".format(since=since)],
            # Lucene: `a OR b c` requires only c (what a real CKAN answers too).
            expected)

    if FAILURES:
        print(f"harvest replay: FAILED ({len(FAILURES)} checks)")
        return 1
    print("harvest replay: all gather runs found every dataset exactly once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
