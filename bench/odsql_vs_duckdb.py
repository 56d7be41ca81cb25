"""ODSQL (Territoria's Explore API, over HTTP) against DuckDB (in-process) on the same rows.

Usage: odsql_vs_duckdb.py URL CSV [RUNS]

URL is a running `territoria serve`; CSV is the organisations dataset exported from it
(`/exports/csv`). The script loads the CSV into an in-memory DuckDB table with the
dataset's types, then runs each query RUNS times on both (after one untimed warm-up
run), compares the answers, and prints the medians. Territoria is timed from sending
the request to the last byte of the answer (one keep-alive connection); DuckDB from
`execute` to the end of `fetchall`. The process exits non-zero when an answer differs.
"""

import http.client
import json
import statistics
import sys
import time
import urllib.parse

import duckdb

API = "/api/explore/v2.1/catalog/datasets/organisations/records"
CENTRE = (4.87, 50.47)  # lon, lat (Namur)
R = 6371008.8


def haversine_sql(lon, lat, metres):
    return (
        f"2 * {R} * asin(least(1, sqrt(pow(sin(radians({lat} - lat) / 2), 2) + "
        f"cos(radians(lat)) * cos(radians({lat})) * pow(sin(radians({lon} - lon) / 2), 2)))) <= {metres}"
    )


def words_sql(col, pattern):
    """A word of `col` (accents and case folded) matching `pattern` (`*`: any characters)."""
    body = pattern.replace("*", "[[:alnum:]]*")
    return f"regexp_matches(strip_accents(lower({col})), '(^|[^[:alnum:]]){body}([^[:alnum:]]|$)')"


# (name, Explore API parameters, SQL, kind): kind "groups" compares every row (as a set of
# tuples, in the aliases' order), "page" compares total_count and the page in order.
QUERIES = [
    (
        "where + group_by count (employees >= 10 by province)",
        {"select": "count(*) as n", "where": "employees >= 10", "group_by": "province", "limit": "100"},
        "SELECT province, count(*) AS n FROM o WHERE employees >= 10 GROUP BY province",
        "groups",
    ),
    (
        "group_by year(founded), count",
        {"select": "count(*) as n", "group_by": "year(founded) as y", "limit": "1000"},
        "SELECT year(founded) AS y, count(*) AS n FROM o GROUP BY y",
        "groups",
    ),
    (
        "where province = Liège, group_by size_class, avg + count",
        {
            "select": "avg(employees) as a, count(*) as n",
            "where": "province = 'Liège'",
            "group_by": "size_class",
            "limit": "100",
        },
        "SELECT size_class, avg(employees) AS a, count(*) AS n FROM o "
        "WHERE province = 'Liège' GROUP BY size_class",
        "groups",
    ),
    (
        "group_by range(employees, 10), count",
        {"select": "count(*) as n", "group_by": "range(employees, 10) as b", "limit": "20000"},
        "SELECT floor(employees / 10) * 10 AS b, count(*) AS n FROM o GROUP BY b",
        "groups",
    ),
    (
        "group_by range(founded, 1 month), count",
        {"select": "count(*) as n", "group_by": "range(founded, 1 month) as m", "limit": "20000"},
        "SELECT strftime(date_trunc('month', founded), '%Y-%m-%d') AS m, count(*) AS n FROM o GROUP BY m",
        "groups",
    ),
    (
        "group_by region, sum + median + count",
        {
            "select": "sum(employees) as s, median(employees) as m, count(*) as n",
            "group_by": "region",
            "limit": "100",
        },
        "SELECT region, sum(employees) AS s, quantile_cont(employees, 0.5) AS m, count(*) AS n "
        "FROM o GROUP BY region",
        "groups",
    ),
    (
        "group_by region, kind: avg + max + count",
        {
            "select": "avg(employees) as a, max(founded) as f, count(*) as n",
            "group_by": "region, kind",
            "limit": "1000",
        },
        "SELECT region, kind, avg(employees) AS a, strftime(max(founded), '%Y-%m-%d') AS f, "
        "count(*) AS n FROM o GROUP BY region, kind",
        "groups",
    ),
    (
        "order_by employees desc, limit 10",
        {"select": "id, name, employees", "order_by": "employees desc", "limit": "10"},
        "SELECT id, name, employees FROM o ORDER BY employees DESC NULLS LAST, id LIMIT 10",
        "page",
    ),
    (
        "where founded range + kind, order_by founded, limit 20",
        {
            "select": "id, founded",
            "where": "founded IN [date'2015-01-01'..date'2016-12-31'] AND kind = 'PME'",
            "order_by": "founded",
            "limit": "20",
        },
        "SELECT id, strftime(founded, '%Y-%m-%d') AS founded FROM o "
        "WHERE founded BETWEEN DATE '2015-01-01' AND DATE '2016-12-31' AND kind = 'PME' "
        "ORDER BY o.founded, id LIMIT 20",
        "page",
    ),
    (
        "full text: search(name, \"independant\"), count",
        {"select": "count(*) as n", "where": 'search(name, "independant")'},
        f"SELECT count(*) AS n FROM o WHERE {words_sql('name', 'independant')}",
        "groups",
    ),
    (
        "full text prefix: search(name, \"meuse*\") by province",
        {"select": "count(*) as n", "where": 'search(name, "meuse*")', "group_by": "province", "limit": "100"},
        f"SELECT province, count(*) AS n FROM o WHERE {words_sql('name', 'meuse*')} GROUP BY province",
        "groups",
    ),
    (
        "within_distance 25 km of Namur, count by municipality",
        {
            "select": "count(*) as n",
            "where": f"within_distance(municipality_centre, geom'POINT({CENTRE[0]} {CENTRE[1]})', 25km)",
            "group_by": "municipality",
            "limit": "1000",
        },
        f"SELECT municipality, count(*) AS n FROM o WHERE {haversine_sql(CENTRE[0], CENTRE[1], 25000)} "
        "GROUP BY municipality",
        "groups",
    ),
    (
        "refine province + size_class, group_by legal_form",
        {
            "select": "count(*) as n",
            "refine": ["province:Namur", "size_class:Petite entreprise (10-49)"],
            "group_by": "legal_form",
            "limit": "100",
        },
        "SELECT legal_form, count(*) AS n FROM o WHERE province = 'Namur' AND size_class = 'Petite entreprise (10-49)' "
        "GROUP BY legal_form",
        "groups",
    ),
]


def norm(v):
    if isinstance(v, float):
        if v == int(v) and abs(v) < 2**53:
            return int(v)
        return float(f"{v:.12g}")
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def main():
    url, csv = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    host = urllib.parse.urlparse(url).netloc
    conn = http.client.HTTPConnection(host, timeout=600)

    def ods(params):
        q = urllib.parse.urlencode(params, doseq=True)
        t0 = time.perf_counter()
        conn.request("GET", f"{API}?{q}")
        r = conn.getresponse()
        body = r.read()
        dt = time.perf_counter() - t0
        if r.status != 200:
            raise SystemExit(f"{params}: HTTP {r.status}: {body[:300]!r}")
        return dt, json.loads(body)

    db = duckdb.connect()
    t0 = time.perf_counter()
    db.execute(
        f"""CREATE TABLE o AS SELECT * EXCLUDE (municipality_centre),
               try_cast(split_part(municipality_centre, ', ', 1) AS DOUBLE) AS lat,
               try_cast(split_part(municipality_centre, ', ', 2) AS DOUBLE) AS lon
            FROM read_csv('{csv}', delim=';', header=true, quote='"', escape='"',
                 types={{'employees': 'BIGINT', 'founded': 'DATE', 'demo': 'BOOLEAN',
                        'kbo': 'VARCHAR', 'refnis': 'VARCHAR', 'nace_code': 'VARCHAR',
                        'municipality_centre': 'VARCHAR'}})"""
    )
    rows = db.execute("SELECT count(*) FROM o").fetchone()[0]
    print(f"DuckDB {duckdb.__version__}: {rows} rows loaded in {time.perf_counter() - t0:.1f} s "
          f"({db.execute('SELECT current_setting(' + chr(39) + 'threads' + chr(39) + ')').fetchone()[0]} threads)")
    _, total = ods({"limit": "0"})
    if total["total_count"] != rows:
        raise SystemExit(f"row counts differ: Territoria {total['total_count']}, DuckDB {rows}")

    print(f"{'query':<60} {'Territoria':>11} {'DuckDB':>9} {'ratio':>7}  answer")
    results = []
    failed = False
    for name, params, sql, kind in QUERIES:
        _, ans = ods(params)  # warm-up (builds an index on first use)
        db.execute(sql).fetchall()
        t_ods, t_duck = [], []
        for _ in range(runs):
            dt, ans = ods(params)
            t_ods.append(dt)
            t0 = time.perf_counter()
            got = db.execute(sql).fetchall()
            t_duck.append(time.perf_counter() - t0)
        cols = [d[0] for d in db.execute(sql).description]
        mine = [tuple(norm(r.get(c)) for c in cols) for r in ans["results"]]
        theirs = [tuple(norm(v) for v in r) for r in got]
        if kind == "groups":
            same = sorted(mine, key=repr) == sorted(theirs, key=repr) and ans["total_count"] == len(theirs)
        else:
            total = db.execute(f"SELECT count(*) FROM ({sql.split(' ORDER BY')[0]})").fetchone()[0]
            same = mine == theirs and ans["total_count"] == total
        m_ods, m_duck = statistics.median(t_ods) * 1000, statistics.median(t_duck) * 1000
        results.append((name, m_ods, m_duck, same, len(theirs)))
        print(f"{name:<60} {m_ods:>8.2f} ms {m_duck:>6.2f} ms {m_duck / m_ods:>6.1f}×  "
              f"{'identical' if same else 'DIFFERENT'} ({len(theirs)} rows)")
        if not same:
            failed = True
            print("  Territoria:", sorted(mine, key=repr)[:5], "\n  DuckDB:    ", sorted(theirs, key=repr)[:5])
    ratios = [d / t for _, t, d, _, _ in results]
    print(f"median ratio (DuckDB / Territoria) over {len(results)} queries: {statistics.median(ratios):.1f}×; "
          f"Territoria faster on {sum(r > 1 for r in ratios)} of {len(ratios)}")
    print("json:", json.dumps([{"query": n, "territoria_ms": round(t, 2), "duckdb_ms": round(d, 2),
                                "identical": s, "rows": k} for n, t, d, s, k in results]))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
