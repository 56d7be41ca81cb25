#!/usr/bin/env python3
"""The parquet, xlsx and compressed exports read by the tools re-users run (issue #11):

- pandas (`read_parquet`, pyarrow) and DuckDB (`read_parquet`) on each dataset's parquet
  export: one row per record (`total_count`), the dataset's columns with their types
  (int → int64, double → float64, date → date, boolean → bool, text → string);
- pandas (`read_excel`, openpyxl) on the xlsx export: the labels as the header, one row
  per record;
- `compressed=true`: the same CSV, gzipped; `list_separator` on a multivalued field.

Usage: exports_parquet_xlsx.py BASE_URL
"""
import gzip
import io
import json
import sys
import urllib.request

import duckdb
import pandas
import pyarrow.parquet as pq

API = "/api/explore/v2.1"
ARROW = {"int": "int64", "double": "double", "date": "date32[day]", "boolean": "bool", "text": "string",
         "datetime": "timestamp[ms, tz=UTC]", "geo_point_2d": "string"}


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def get(url):
    with urllib.request.urlopen(url) as r:
        return r.read()


def main(base):
    base = base.rstrip("/")
    catalogue = json.loads(get(f"{base}{API}/catalog/datasets?limit=100"))
    for d in catalogue["results"]:
        dataset_id = d["dataset_id"]
        total = d["metas"]["default"]["records_count"]
        url = f"{base}{API}/catalog/datasets/{dataset_id}/exports"
        raw = get(f"{url}/parquet")
        check(raw[:4] == b"PAR1" and raw[-4:] == b"PAR1", f"{dataset_id}: parquet magic")
        table = pq.read_table(io.BytesIO(raw))
        check(table.num_rows == total, f"pyarrow {dataset_id}: {table.num_rows} rows, {total} records")
        fields = {f["name"]: f["type"] for f in d["fields"]}
        check(table.schema.names == list(fields), f"{dataset_id}: columns {table.schema.names}")
        for f in table.schema:
            want = ARROW.get(fields[f.name])
            check(str(f.type) == want, f"{dataset_id}.{f.name}: {f.type}, expected {want}")
        frame = pandas.read_parquet(io.BytesIO(raw))
        check(len(frame) == total, f"read_parquet {dataset_id}: {len(frame)} rows")
        path = f"/tmp/territoria-{dataset_id}-{total}.parquet"
        with open(path, "wb") as f:
            f.write(raw)
        n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]
        check(n == total, f"duckdb {dataset_id}: {n} rows")
        if total:
            ids = duckdb.sql(f"SELECT count(DISTINCT id) FROM read_parquet('{path}')").fetchall()[0][0]
            check(ids == total, f"duckdb {dataset_id}: ids unique")
        # xlsx: labels as the header.
        sheet = pandas.read_excel(io.BytesIO(get(f"{url}/xlsx?lang=en")))
        check(len(sheet) == total, f"read_excel {dataset_id}: {len(sheet)} rows, {total} records")
        labels = [f["label"] for f in d["fields"]]
        check(total == 0 or list(sheet.columns)[:2] == labels[:2] or list(sheet.columns)[0] == "Identifier",
              f"read_excel {dataset_id}: header {list(sheet.columns)[:3]}")
        # compressed=true: the same bytes, gzipped.
        plain = get(f"{url}/csv")
        check(gzip.decompress(get(f"{url}/csv?compressed=true")) == plain, f"{dataset_id}: compressed csv")
        print(f"{dataset_id}: {total} records (pyarrow, pandas, duckdb parquet; pandas xlsx; gzip)")
    # list_separator on the catalogue's multivalued field `keyword`.
    q = f"{base}{API}/catalog/exports/csv?select=dataset_id,keyword"
    default = pandas.read_csv(io.BytesIO(get(q)), sep=";")
    piped = pandas.read_csv(io.BytesIO(get(q + "&list_separator=%7C")), sep=";")
    check(any(", " in k for k in default["keyword"].dropna()), "catalog keywords joined with ', '")
    check(list(piped["keyword"].fillna("")) == [k.replace(", ", "|") for k in default["keyword"].fillna("")],
          "list_separator=| joins the keywords with '|'")

if __name__ == "__main__":
    main(sys.argv[1])
