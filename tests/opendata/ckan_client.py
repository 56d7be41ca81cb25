#!/usr/bin/env python3
"""The CKAN client `ckanapi` against a running Territoria: lists, shows and searches
datasets with facets, both as ckanapi calls by default (POST + JSON on /api/action/) and
GET-only (as harvesters do), and maps errors to ckanapi's exceptions.

Also (issue #11): `fq` unions, intersections and negations give the counts the separate
queries give; `ckanapi dump datasets --all` and `ckanapi dump groups --all` (the CLI, and
the same calls from Python: package_list + package_show, group_list + group_show with
include_datasets=False); resource_show; refused queries raise SearchQueryError.

Usage: ckan_client.py BASE_URL      (exit 1 on a failure)
"""
import json
import subprocess
import sys

import ckanapi


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def run(ckan, label):
    names = ckan.action.package_list()
    check("organisations" in names and "places" in names, f"package_list: {names}")

    pkg = ckan.action.package_show(id="organisations")
    check(pkg["name"] == "organisations", "package_show name")
    check(pkg["organization"]["name"] == "territoria", "package_show organization")
    formats = {r["format"] for r in pkg["resources"]}
    check({"CSV", "JSON"} <= formats, f"resources: {formats}")
    check(all(r["url"].startswith("http") for r in pkg["resources"]), "absolute resource URLs")
    check(any(e["key"] == "demo" and e["value"] == "true" for e in pkg["extras"]), "demo extra")

    found = ckan.action.package_search(
        q="organisations",
        rows=5,
        **{"facet.field": '["tags", "organization", "res_format", "groups"]', "facet.limit": 10},
    )
    check(found["count"] >= 1, "package_search count")
    check(found["results"][0]["name"] == "organisations", "package_search first hit")
    facets = found["search_facets"]
    check(set(facets) == {"tags", "organization", "res_format", "groups"}, f"facets: {set(facets)}")
    check(facets["organization"]["items"][0]["name"] == "territoria", "organization facet")
    check(all(i["count"] >= 1 for i in facets["tags"]["items"]), "tag counts")

    geo = ckan.action.package_search(fq="res_format:GEOJSON", sort="name asc")
    check([p["name"] for p in geo["results"]] == ["organisations", "places"], f"fq res_format: {[p['name'] for p in geo['results']]}")

    page = ckan.action.package_search(rows=3, start=3, sort="name asc")
    check(len(page["results"]) == 3 and page["count"] == len(names), "paging")
    check(page["results"][0]["name"] == sorted(names)[3], "sorted paging")

    check(ckan.action.organization_list() == ["territoria"], "organization_list")
    orgs = ckan.action.organization_list(all_fields=True)
    check(orgs[0]["package_count"] == len(names), "organization_list all_fields")

    try:
        ckan.action.package_show(id="no-such-dataset")
        raise AssertionError("package_show of an unknown id succeeded")
    except ckanapi.NotFound:
        pass
    try:
        ckan.action.package_search(sort="nope asc")
        raise AssertionError("an invalid sort succeeded")
    except ckanapi.SearchQueryError:
        pass
    try:
        ckan.action.package_search(rows="many")
        raise AssertionError("an invalid rows succeeded")
    except ckanapi.ValidationError:
        pass
    print(f"ckanapi ({label}): {len(names)} datasets listed, shown and searched with facets")
    run_issue_11(ckan, label, names)


def search_names(ckan, **kw):
    r = ckan.action.package_search(rows=1000, **kw)
    got = {p["name"] for p in r["results"]}
    check(r["count"] == len(got), f"count {r['count']} = results {len(got)} for {kw}")
    return got


def run_issue_11(ckan, label, names):
    # fq unions and friends against separate queries.
    groups = ckan.action.group_list()
    check(len(groups) >= 2, f"group_list: {groups}")
    a, b = groups[0], groups[1]
    in_a = search_names(ckan, fq=f"groups:{a}")
    in_b = search_names(ckan, fq=f"groups:{b}")
    every = set(names)
    for fq, want in [
        (f"groups:{a} OR groups:{b}", in_a | in_b),
        (f"groups:({a} OR {b})", in_a | in_b),
        (f"groups:{a} AND groups:{b}", in_a & in_b),
        (f"groups:{a} groups:{b}", in_a & in_b),
        (f"-groups:{a}", every - in_a),
        (f"groups:{a} -groups:{b}", in_a - in_b),
        ("organization:territoria OR organization:nobody", every),
        ("res_format:CSV OR res_format:GEOJSON", every),
    ]:
        got = search_names(ckan, fq=fq)
        check(got == want, f"fq={fq!r}: {sorted(got)} != {sorted(want)}")
    # Sorting and paging by id, dates in ranges.
    ids = [p["id"] for p in ckan.action.package_search(sort="id asc", rows=100)["results"]]
    check(ids == sorted(ids), "sort=id asc")
    recent = search_names(ckan, fq="metadata_modified:[2000-01-01T00:00:00Z TO *]")
    check(recent == every, "metadata_modified range")
    try:
        ckan.action.package_search(fq="groups:(econ OR")
        raise AssertionError("a malformed fq succeeded")
    except ckanapi.SearchQueryError as e:
        check("position" in str(e), f"located error: {e}")
    # resource_show, group_show (what ckanapi dump groups calls), site_read.
    pkg = ckan.action.package_show(id="organisations")
    res = pkg["resources"][0]
    check(ckan.action.resource_show(id=res["id"]) == res, "resource_show")
    for g in groups:
        shown = ckan.action.group_show(id=g, include_datasets=False, include_users=False)
        check(shown["name"] == g and shown["package_count"] >= 1, f"group_show {g}")
    check(ckan.action.site_read() is True, "site_read")
    with_res = ckan.action.current_package_list_with_resources(limit=100)
    check(len(with_res) == len(names) and all(p["resources"] for p in with_res),
          "current_package_list_with_resources")
    try:
        ckan.action.resource_show(id="nope")
        raise AssertionError("resource_show of an unknown id succeeded")
    except ckanapi.NotFound:
        pass
    print(f"ckanapi ({label}): fq unions, sorts, ranges, resource_show, group_show checked")


def dump_cli(base, thing, names):
    """`ckanapi dump THING --all -r BASE`: one JSON line per object."""
    out = subprocess.run(
        ["ckanapi", "dump", thing, "--all", "-q", "-p", "2", "-r", base],
        capture_output=True, timeout=300,
    )
    check(out.returncode == 0, f"ckanapi dump {thing} --all: {out.stderr.decode()[-500:]}")
    lines = [json.loads(l) for l in out.stdout.decode().splitlines() if l.strip()]
    got = sorted(o["name"] for o in lines)
    check(got == sorted(names), f"ckanapi dump {thing} --all: {got} != {sorted(names)}")
    return lines


def main():
    base = sys.argv[1].rstrip("/")
    with ckanapi.RemoteCKAN(base, user_agent="territoria-ci/1.0") as ckan:
        run(ckan, "POST")
    with ckanapi.RemoteCKAN(base, user_agent="territoria-ci/1.0", get_only=True) as ckan:
        run(ckan, "GET")
        datasets, groups = ckan.action.package_list(), ckan.action.group_list()
    dumped = dump_cli(base, "datasets", datasets)
    check(all(d["resources"] for d in dumped), "dumped datasets have resources")
    dumped = dump_cli(base, "groups", groups)
    check(all("package_count" in g for g in dumped), "dumped groups")
    print(f"ckanapi dump datasets --all, dump groups --all: {len(datasets)} datasets, {len(groups)} groups")
    print("ckan_client: PASS")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001 - any failure is a failed check
        print(f"ckan_client: FAIL: {type(e).__name__}: {e}")
        sys.exit(1)
