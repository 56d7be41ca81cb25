#!/usr/bin/env python3
"""The CKAN client `ckanapi` against a running Territoria: lists, shows and searches
datasets with facets, both as ckanapi calls by default (POST + JSON on /api/action/) and
GET-only (as harvesters do), and maps errors to ckanapi's exceptions.

Usage: ckan_client.py BASE_URL
"""
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
    check([p["name"] for p in geo["results"]] == ["places"], "fq res_format")

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


def main():
    base = sys.argv[1].rstrip("/")
    with ckanapi.RemoteCKAN(base, user_agent="territoria-ci/1.0") as ckan:
        run(ckan, "POST")
    with ckanapi.RemoteCKAN(base, user_agent="territoria-ci/1.0", get_only=True) as ckan:
        run(ckan, "GET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
