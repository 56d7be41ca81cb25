#!/usr/bin/env python3
"""Opendatasoft's Python clients against a running Territoria, unchanged:

- odsclient (PyPI): `get_whole_dataframe` and `get_whole_dataset` of each dataset, through
  Opendatasoft's download path `/explore/dataset/ID/download/` (with an API key, which open
  data ignore);
- pandas: `read_csv` of each dataset's Explore v2.1 CSV export (the UTF-8 byte-order mark is
  handled: the first column is `id`), one row per record (`total_count`);
- geopandas (pyogrio, GDAL bundled in the wheel): `read_file` of the places GeoJSON export.

Usage: ods_python_clients.py BASE_URL
"""
import io
import json
import sys
import urllib.request

import geopandas
import pandas
from odsclient import ODSClient

API = "/api/explore/v2.1"


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def get(url):
    with urllib.request.urlopen(url) as r:
        return r.read()


def main(base):
    base = base.rstrip("/")
    catalogue = json.loads(get(f"{base}{API}/catalog/datasets?limit=100"))
    ids = [d["dataset_id"] for d in catalogue["results"]]
    check("organisations" in ids and "places" in ids, f"datasets: {ids}")
    counts = {d["dataset_id"]: d["metas"]["default"]["records_count"] for d in catalogue["results"]}

    ods = ODSClient(base_url=base, apikey="not-needed-for-open-data")
    for dataset_id in ids:
        total = counts[dataset_id]
        # odsclient: labels as the header, ';' separated.
        df = ods.get_whole_dataframe(dataset_id=dataset_id)
        check(len(df) == total, f"odsclient {dataset_id}: {len(df)} rows, {total} records")
        check(total == 0 or df.columns[0] == "Identifiant", f"odsclient {dataset_id}: {list(df.columns)[:3]}")
        # pandas on the v2.1 export (byte-order mark by default).
        raw = get(f"{base}{API}/catalog/datasets/{dataset_id}/exports/csv")
        check(raw.startswith(b"\xef\xbb\xbf"), f"{dataset_id}: export starts with a BOM")
        frame = pandas.read_csv(io.BytesIO(raw), sep=";")
        check(len(frame) == total, f"read_csv {dataset_id}: {len(frame)} rows, {total} records")
        check(frame.columns[0] == "id", f"read_csv {dataset_id}: first column {frame.columns[0]!r}")
        check(frame["id"].is_unique, f"read_csv {dataset_id}: ids unique")
        print(f"{dataset_id}: {total} records (odsclient, pandas)")

    # odsclient's other formats.
    text = ods.get_whole_dataset(dataset_id="places", format="json")
    places = json.loads(text)
    check(len(places) == counts["places"], "odsclient json")
    text = ods.get_whole_dataset(dataset_id="places", format="csv", csv_separator=",", use_labels_for_header=False)
    check(text.splitlines()[0].startswith("id,name,"), f"odsclient csv: {text[:40]!r}")

    # geopandas on the GeoJSON export.
    raw = get(f"{base}{API}/catalog/datasets/places/exports/geojson")
    gdf = geopandas.read_file(io.BytesIO(raw))
    check(len(gdf) == counts["places"], f"geopandas: {len(gdf)} features")
    check(set(gdf.geom_type) == {"Point"}, f"geopandas: {set(gdf.geom_type)}")
    check(gdf.crs is not None and gdf.crs.to_epsg() == 4326, f"geopandas crs: {gdf.crs}")
    xmin, ymin, xmax, ymax = gdf.total_bounds
    check(2.5 < xmin <= xmax < 6.5 and 49.4 < ymin <= ymax < 51.6, f"places in Belgium: {gdf.total_bounds}")
    check("name" in gdf.columns and "id" in gdf.columns, f"geopandas columns: {list(gdf.columns)}")
    print(f"places: {len(gdf)} points (geopandas {geopandas.__version__})")


if __name__ == "__main__":
    main(sys.argv[1])
