#!/usr/bin/env python3
"""Validates Territoria's DCAT-AP catalogue export against the DCAT-AP 3.0.1 SHACL shapes.

Usage: validate_dcat.py BASE_URL   (e.g. http://127.0.0.1:8080)

Fetches the Turtle, RDF/XML and JSON-LD serialisations, checks that they hold the same
graph, and validates it with pyshacl against tests/opendata/shapes (the full shapes with the range
shapes). Prints pyshacl's report; exits 1 unless it says `Conforms: True`.
"""
import json
import pathlib
import sys
import urllib.request

import pyshacl
from rdflib import Graph, Namespace
from rdflib.compare import isomorphic

SHAPES = pathlib.Path(__file__).parent / "shapes"
SH = Namespace("http://www.w3.org/ns/shacl#")


def fetch(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read().decode("utf-8")


def main():
    base = sys.argv[1].rstrip("/")
    ttl = fetch(f"{base}/api/explore/v2.1/catalog/exports/dcat?format=turtle")
    data = Graph().parse(data=ttl, format="turtle")
    xml = Graph().parse(data=fetch(f"{base}/api/explore/v2.1/catalog/exports/dcat"), format="xml")
    jsonld = Graph().parse(data=fetch(f"{base}/catalog.jsonld"), format="json-ld")
    if not (isomorphic(data, xml) and isomorphic(data, jsonld)):
        print("the Turtle, RDF/XML and JSON-LD exports differ", file=sys.stderr)
        return 1
    if fetch(f"{base}/catalog.ttl") != ttl:
        print("/catalog.ttl differs from the DCAT export", file=sys.stderr)
        return 1
    # The two files are one set of shapes: the range file adds sh:class constraints to the
    # node shapes of the full file. Upstream 3.0.1 names five property shapes it never
    # defines (sh:property links to an IRI with no sh:path); pyshacl refuses such links, and
    # they constrain nothing, so they are dropped (and counted) before validating.
    shapes = Graph()
    for f in sorted(SHAPES.glob("*.ttl")):
        shapes.parse(f, format="turtle")
    dangling = [
        (s, o) for s, o in shapes.subject_objects(SH.property) if (o, SH.path, None) not in shapes
    ]
    for s, o in dangling:
        shapes.remove((s, SH.property, o))
    print(f"{len(dangling)} undefined property shapes referenced upstream, ignored")
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes, advanced=True)
    print(text)
    print(f"{len(data)} triples; Conforms: {conforms}")
    ok = conforms
    # DCAT-AP's recommended properties that the catalogue once lacked (issue #11: 13
    # warnings of the recommended shapes), checked one by one.
    DCAT = Namespace("http://www.w3.org/ns/dcat#")
    DCT = Namespace("http://purl.org/dc/terms/")
    RDF_TYPE = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")["type"]
    missing = []
    for service in data.subjects(RDF_TYPE, DCAT.DataService):
        for prop in (DCT.conformsTo, DCAT.contactPoint, DCAT.endpointDescription, DCAT.keyword, DCAT.theme):
            if (service, prop, None) not in data:
                missing.append(f"{service} {prop}")
    for ds in data.subjects(RDF_TYPE, DCAT.Dataset):
        if (ds, DCT.temporal, None) not in data:
            missing.append(f"{ds} dct:temporal")
    for lic in data.subjects(RDF_TYPE, DCT.LicenseDocument):
        if (lic, DCT.type, None) not in data:
            missing.append(f"{lic} dct:type")
    for loc in data.subjects(RDF_TYPE, DCT.Location):
        for prop in (DCAT.bbox, DCAT.centroid):
            if (loc, prop, None) not in data:
                missing.append(f"{loc} {prop}")
    print(f"recommended properties missing: {len(missing)}", *missing, sep="\n  ")
    ok = ok and not missing
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
