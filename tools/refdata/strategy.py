#!/usr/bin/env python3
"""Derive data/strategy/digital-wallonia.toml from the memorandum facts file.

Run once: `python3 tools/refdata/strategy.py [../shared/data/strategy/digital-wallonia.yaml]`.
The TOML is the human-editable source the product loads; after the first
derivation, edit the TOML directly (this script documents how it was made).

Facts (names, figures, qualifiers, periods) come from the YAML, which cites the
memorandum. What the memorandum does not state is marked `inferred = true`
(programme → ambition links) or carries an explicit note (assumed periods,
indicator kinds, taxonomy values we propose).
"""
import re
import sys
import unicodedata

import yaml

SRC = "Mémorandum « Digital Wallonia 2024-2029 » (Agence du Numérique, 2024)"


def slug(s):
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")[:60].strip("-")


def q(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {q(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(q(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


# Period strings of the memorandum → (ISO period, label kept, note)
def period_of(ind):
    if "date" in ind:
        return str(ind["date"]), None, None
    p = ind.get("period")
    if p is None:
        return "2016-2024", None, "période non précisée par le mémorandum : cumul 2016-2024 supposé"
    table = {
        "jusqu'en 2026": ("2016-2026", "début de période supposé au lancement de la stratégie (2016)"),
        "2016-début 2024": ("2016-01-01/2024-03-31", "« début 2024 » lu comme fin mars 2024"),
        "depuis 2022": ("2022-2024", "fin de période supposée à la date du mémorandum (2024)"),
    }
    if p in table:
        iso, note = table[p]
        return iso, p, note
    if re.fullmatch(r"\d{4}-\d{4}", p):
        return p, None, None
    raise SystemExit(f"unknown period {p!r}")


def kind_of(name, unit):
    n = name.lower()
    if unit in ("EUR",) or n.startswith("investissement") or n.startswith("budget") or n.startswith("montant"):
        return "output", "sum"
    if unit == "%" or "emploi" in n or "poids" in n:
        return "impact", "last"
    if unit == "EPN" or "hubs" in n or "jeux de données" in n or "cartographiées" in n:
        return "output", "last"
    return "output", "sum"


SECTION = {
    "programmes": "§ Actions emblématiques",
    "ambitions": "§ Digital Wallonia 2024-2029, ambitions et leviers politiques",
}

SCHEMES = [
    # id, title fr, title en, stated?, source/note, concepts [(notation, fr, en, broader)]
    ("organisation-kind", "Qualification des entreprises et organisations", "Organisation kinds", False,
     "Taxonomie générique nommée par le mémorandum (§ Plateforme digitalwallonia.be) ; les valeurs startup, scale-up, PME, TPE, indépendant, centre de recherche, université, pouvoir local et service public sont des exemples cités, les autres sont proposées (inférées).",
     [("entreprise", "Entreprise", "Company", None),
      ("startup", "Startup", "Start-up", "entreprise"),
      ("scale-up", "Scale-up", "Scale-up", "entreprise"),
      ("pme", "PME", "SME", "entreprise"),
      ("tpe", "TPE", "Micro-enterprise", "entreprise"),
      ("grande-entreprise", "Grande entreprise", "Large company", "entreprise"),
      ("independant", "Indépendant", "Self-employed", "entreprise"),
      ("recherche-enseignement", "Recherche et enseignement", "Research and education", None),
      ("centre-de-recherche", "Centre de recherche", "Research centre", "recherche-enseignement"),
      ("universite", "Université", "University", "recherche-enseignement"),
      ("haute-ecole", "Haute école", "University college", "recherche-enseignement"),
      ("secteur-public", "Secteur public", "Public sector", None),
      ("pouvoir-local", "Pouvoir local", "Local authority", "secteur-public"),
      ("service-public", "Service public", "Public service", "secteur-public"),
      ("reseau-accompagnement", "Réseaux et accompagnement", "Networks and support", None),
      ("pole-de-competitivite", "Pôle de compétitivité", "Competitiveness pole", "reseau-accompagnement"),
      ("operateur-animation-economique", "Opérateur d'animation économique", "Business support operator", "reseau-accompagnement"),
      ("federation", "Fédération professionnelle", "Trade federation", "reseau-accompagnement"),
      ("epn", "Espace public numérique (EPN)", "Public digital space (EPN)", "reseau-accompagnement"),
      ("acteur-inclusion", "Acteur de l'inclusion numérique", "Digital inclusion actor", "reseau-accompagnement"),
      ("asbl", "Association (ASBL)", "Non-profit association", None)]),
    ("competence-zone", "Zones institutionnelles de compétences", "Institutional zones of competence", False,
     "Taxonomie générique nommée par le mémorandum ; valeurs proposées (niveaux de pouvoir belges).",
     [("union-europeenne", "Union européenne", "European Union", None),
      ("federal", "État fédéral", "Federal State", None),
      ("region-wallonne", "Région wallonne", "Walloon Region", None),
      ("federation-wallonie-bruxelles", "Fédération Wallonie-Bruxelles", "Wallonia-Brussels Federation", None),
      ("communaute-germanophone", "Communauté germanophone", "German-speaking Community", None),
      ("province", "Provinces", "Provinces", None),
      ("commune", "Communes", "Municipalities", None)]),
    ("event-type", "Types d'événements", "Event types", False,
     "Taxonomie générique nommée par le mémorandum ; valeurs proposées.",
     [("conference", "Conférence", "Conference", None), ("atelier", "Atelier", "Workshop", None),
      ("formation", "Formation", "Training", None), ("salon", "Salon", "Trade fair", None),
      ("mission-internationale", "Mission internationale", "International mission", None),
      ("hackathon", "Hackathon", "Hackathon", None), ("webinaire", "Webinaire", "Webinar", None),
      ("networking", "Rencontre networking", "Networking event", None)]),
    ("digital-offer", "Produits et services du numérique", "Digital products and services", False,
     "Taxonomie spécifique nommée par le mémorandum ; valeurs proposées.",
     [("logiciel", "Développement logiciel", "Software development", None),
      ("ia", "Intelligence artificielle", "Artificial intelligence", None),
      ("ia-vision", "Vision par ordinateur", "Computer vision", "ia"),
      ("ia-nlp", "Traitement du langage", "Natural language processing", "ia"),
      ("ia-ml", "Apprentissage automatique", "Machine learning", "ia"),
      ("cybersecurite", "Cybersécurité", "Cybersecurity", None),
      ("cloud", "Cloud et hébergement", "Cloud and hosting", None),
      ("data", "Données et analytique", "Data and analytics", None),
      ("iot", "Internet des objets", "Internet of Things", None),
      ("e-commerce", "E-commerce", "E-commerce", None),
      ("conseil", "Conseil en transformation numérique", "Digital transformation consulting", None),
      ("telecom", "Réseaux et télécommunications", "Networks and telecommunications", None),
      ("industrie-4-0", "Industrie 4.0 et robotique", "Industry 4.0 and robotics", None),
      ("jeux-video", "Jeux vidéo et médias numériques", "Video games and digital media", None),
      ("edtech", "EdTech", "EdTech", None), ("healthtech", "e-Santé", "HealthTech", None),
      ("green-it", "Green IT", "Green IT", None)]),
    ("international-mission", "Missions internationales", "International missions", True,
     "Taxonomie spécifique nommée par le mémorandum ; exemples cités : CES, Vivatech, Gamescom, Mobile World Congress (§ Actions emblématiques, International).",
     [("ces", "CES (Las Vegas)", "CES (Las Vegas)", None), ("vivatech", "Vivatech (Paris)", "Vivatech (Paris)", None),
      ("gamescom", "Gamescom (Cologne)", "Gamescom (Cologne)", None),
      ("mobile-world-congress", "Mobile World Congress (Barcelone)", "Mobile World Congress (Barcelona)", None)]),
    ("call-for-projects", "Appels à projets", "Calls for projects", True,
     "Taxonomie spécifique nommée par le mémorandum ; appels cités : Start IA, Tremplin IA, CAP IA (DW4AI), Implement IT 4 Circularity (DW4Circular), Last Mile (Giga Région).",
     [("start-ia", "Start IA", "Start AI", None), ("tremplin-ia", "Tremplin IA", "AI Springboard", None),
      ("cap-ia", "CAP IA", "CAP AI", None),
      ("implement-it-4-circularity", "Implement IT 4 Circularity", "Implement IT 4 Circularity", None),
      ("last-mile", "Last Mile", "Last Mile", None)]),
    ("label", "Labels", "Labels", True,
     "Labels cités par le mémorandum (§ Actions emblématiques, Industrie 4.0).",
     [("factory-of-the-future", "Factory of the Future (FoF)", "Factory of the Future (FoF)", None),
      ("made-different", "Made Different", "Made Different", None)]),
    ("competitiveness-pole", "Pôles de compétitivité", "Competitiveness poles", True,
     "Les six pôles de compétitivité wallons ; l'appartenance à un pôle est une facette des aimants intelligents (mémorandum § Plateforme digitalwallonia.be).",
     [("biowin", "BioWin", "BioWin", None), ("wagralim", "Wagralim", "Wagralim", None),
      ("mecatech", "MecaTech", "MecaTech", None), ("skywin", "Skywin", "Skywin", None),
      ("logistics-in-wallonia", "Logistics in Wallonia", "Logistics in Wallonia", None),
      ("greenwin", "GreenWin", "GreenWin", None)]),
    ("fund", "Fonds", "Funds", True,
     "Fonds cité par le mémorandum (§ Actions emblématiques, Startups).",
     [("fonds-wing", "Fonds W.IN.G by Digital Wallonia", "W.IN.G fund by Digital Wallonia", None)]),
    ("target-audience", "Publics cibles", "Target audiences", False,
     "Filtre « par public cible » du tableau de bord (mémorandum § Tableau de bord) ; valeurs proposées à partir des publics cités.",
     [("entreprises", "Entreprises", "Companies", None),
      ("startups", "Startups", "Start-ups", "entreprises"),
      ("pme", "PME et TPE", "SMEs", "entreprises"),
      ("industrie", "Entreprises manufacturières", "Manufacturing companies", "entreprises"),
      ("commercants", "Commerçants", "Retailers", "entreprises"),
      ("professions-liberales", "Professions libérales", "Liberal professions", "entreprises"),
      ("secteur-numerique", "Secteur du numérique", "Digital sector", "entreprises"),
      ("citoyens", "Citoyens", "Citizens", None),
      ("publics-fragilises", "Publics en (risque de) décrochage numérique", "People at risk of digital exclusion", "citoyens"),
      ("jeunes", "Jeunes", "Young people", "citoyens"),
      ("enseignement", "Écoles et enseignants", "Schools and teachers", None),
      ("chercheurs", "Chercheurs", "Researchers", None),
      ("pouvoirs-publics", "Pouvoirs publics", "Public authorities", None),
      ("pouvoirs-locaux", "Pouvoirs locaux", "Local authorities", "pouvoirs-publics"),
      ("administrations-regionales", "Administrations régionales", "Regional administrations", "pouvoirs-publics")]),
    ("action-type", "Types d'actions", "Action types", False,
     "Filtre « par type » du tableau de bord (mémorandum § Tableau de bord) ; valeurs proposées.",
     [("appel-a-projets", "Appel à projets", "Call for projects", None),
      ("cheque", "Chèques et subsides", "Vouchers and grants", None),
      ("accompagnement", "Accompagnement", "Coaching and support", None),
      ("formation", "Formation", "Training", None),
      ("sensibilisation", "Sensibilisation", "Awareness raising", None),
      ("infrastructure", "Infrastructure et équipement", "Infrastructure and equipment", None),
      ("investissement", "Investissement", "Investment", None),
      ("etude", "Étude et observatoire", "Study and observatory", None),
      ("evenement", "Événement et mission", "Event and mission", None),
      ("service-numerique", "Plateforme ou service numérique", "Digital platform or service", None),
      ("label", "Label", "Label", None)]),
    ("funding-source", "Sources de financement", "Funding sources", False,
     "Le filtre « actions financées par le Plan de Relance de la Wallonie » est cité (mémorandum § Tableau de bord) ; les autres sources sont proposées.",
     [("plan-de-relance", "Plan de Relance de la Wallonie", "Recovery Plan for Wallonia", None),
      ("budget-regional", "Budget régional (Digital Wallonia)", "Regional budget (Digital Wallonia)", None),
      ("fonds-europeens", "Fonds européens (FEDER, FRR, Europe numérique)", "EU funds (ERDF, RRF, Digital Europe)", None),
      ("cofinancement-prive", "Cofinancement privé", "Private co-funding", None)]),
    ("size-class", "Taille d'entreprise", "Company size class", True,
     "Classes de taille de la recommandation européenne 2003/361/CE (effectif).",
     [("micro", "Micro-entreprise (< 10 personnes)", "Micro (< 10 staff)", None),
      ("small", "Petite entreprise (10-49)", "Small (10-49 staff)", None),
      ("medium", "Moyenne entreprise (50-249)", "Medium (50-249 staff)", None),
      ("large", "Grande entreprise (250 et plus)", "Large (250+ staff)", None)]),
    ("inclusion-service", "Services d'inclusion numérique", "Digital inclusion services", False,
     "Services offerts par les EPN et acteurs d'inclusion numérique (cf. MaCartoNum, mémorandum § Plateforme) ; valeurs proposées.",
     [("acces-libre", "Accès libre aux ordinateurs et à internet", "Free computer and internet access", None),
      ("initiation", "Initiation au numérique", "Digital basics", None),
      ("formation", "Formations thématiques", "Thematic training", None),
      ("demarches-en-ligne", "Aide aux démarches en ligne", "Help with online procedures", None),
      ("smartphone", "Accompagnement smartphone et tablette", "Smartphone and tablet support", None),
      ("materiel", "Prêt ou reconditionnement de matériel", "Device loan or refurbishing", None),
      ("emploi", "Recherche d'emploi en ligne", "Online job search", None),
      ("enfants-parents", "Ateliers enfants et parents", "Children and parents workshops", None)]),
]


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/strategy/digital-wallonia.yaml"
    y = yaml.safe_load(open(src, encoding="utf-8"))
    s = y["strategy"]
    out = []
    w = out.append
    w("# Digital Wallonia, as stated in the memorandum « Digital Wallonia 2024-2029 ».")
    w("# Derived from the facts file that accompanies the memorandum by tools/refdata/strategy.py;")
    w("# this TOML is now the human-editable source: edit it, then run `territoria load-strategy FILE`")
    w("# (or start on a fresh data directory). Every figure carries its source; links and values the")
    w("# memorandum does not state are marked `inferred = true` or explained in a `note`.")
    w("")
    w("[strategy]")
    w(f"id = {q(s['id'])}")
    w(f"name = {q(s['name'])}")
    w(f"description = {q({'fr': 'Stratégie numérique de la Wallonie, élaborée en 2015 et lancée début 2016.', 'en': 'The digital strategy of Wallonia, drawn up in 2015 and launched early 2016.'})}")
    w(f"owner = {q(s['owner'])}")
    w(f"launched = {s['launched']}")
    w(f"source = {q(SRC + ', § Stratégie numérique de la Wallonie')}")
    w(f"dashboard = {q(s['sources']['dashboard'])}")
    w(f"open_data = {q(s['sources']['open_data'])}")
    w(f"platform = {q(s['sources']['platform'])}")
    w(f"counts_stated = {q({k: v for k, v in s['counts_stated'].items()})}")
    w("")
    labels = {
        "v1": ("Digital Wallonia V1 (2016)", "Digital Wallonia V1 (2016)"),
        "v2": ("Digital Wallonia V2 (2018)", "Digital Wallonia V2 (2018)"),
        "v3": ("Digital Wallonia V3 (2022)", "Digital Wallonia V3 (2022)"),
    }
    for v in s["versions"]:
        w("[[versions]]")
        w(f"id = {q(v['id'])}")
        w(f"label = {q({'fr': labels[v['id']][0], 'en': labels[v['id']][1]})}")
        w(f"year = {v['year']}")
        w(f"note = {q(v['note'])}")
        w(f"tree = {q(v['id'] == 'v3')}")
        w(f"source = {q(SRC + ', § Stratégie numérique de la Wallonie')}")
        w("")
    w("[[versions]]")
    w('id = "2024-2029"')
    w(f"label = {q({'fr': 'Digital Wallonia 2024-2029 (valeurs et 15 leviers)', 'en': 'Digital Wallonia 2024-2029 (values and 15 levers)'})}")
    w("year = 2024")
    w(f"note = {q('Cadre proposé par le mémorandum : 5 ambitions renommées, 3 valeurs et 3 leviers politiques par ambition.')}")
    w("tree = true")
    w(f"source = {q(SRC + ', ' + SECTION['ambitions'])}")
    w("")
    for a in y["ambitions"]:
        w("[[ambitions]]")
        w(f"id = {q(a['id'])}")
        w(f"name = {q(a['name'])}")
        if "name_2024" in a:
            w(f"name_2024 = {q(a['name_2024'])}")
        w(f"tagline = {q(a['tagline'])}")
        w(f"statement = {q(a['statement'])}")
        w(f"values = {q(a['values_2024_2029'])}")
        w(f"dashboard_url = {q(a['dashboard_url'])}")
        w(f"source = {q(SRC + ', ' + SECTION['ambitions'])}")
        for l in a["levers_2024_2029"]:
            w("[[ambitions.levers]]")
            w(f"id = {q(l['id'])}")
            w(f"name = {q(l['name'])}")
            if "note" in l:
                w(f"note = {q(l['note'])}")
        w("")
    for p in y["programmes"]:
        w("[[programmes]]")
        w(f"id = {q(p['id'])}")
        w(f"name = {q(p['name'])}")
        w(f"theme = {q(p['theme'])}")
        w(f"ambition = {q(p['ambition']['id'])}")
        w(f"ambition_inferred = {q(bool(p['ambition'].get('inferred')))}")
        w(f"url = {q(p['url'])}")
        w(f"source = {q(SRC + ', ' + SECTION['programmes'] + ' (' + p['theme'] + ')')}")
        for k in ("calls", "funds", "labels"):
            if k in p:
                w(f"{k} = {q(p[k])}")
        seen = set()
        for ind in p["indicators"]:
            iid = p["id"] + "-" + slug(ind["name"])[:40].strip("-")
            assert iid not in seen, iid
            seen.add(iid)
            kind, agg = kind_of(ind["name"], ind["unit"])
            w("[[programmes.indicators]]")
            w(f"id = {q(iid)}")
            w(f"name = {q({'fr': ind['name']})}")
            w(f"unit = {q(ind['unit'])}")
            w(f"kind = {q(kind)}")
            w(f"aggregation = {q(agg)}")
            if "funding" in ind:
                w(f"funding = {q(ind['funding'])}")
            series = ind.get("series") or [dict(ind)]
            for o in series:
                if "series" in ind:
                    d = str(o["date"])
                    period, label, note = (d, None, None) if len(d) > 4 else (d, None, None)
                else:
                    period, label, note = period_of(ind)
                w("[[programmes.indicators.observations]]")
                w(f"period = {q(period)}")
                w(f"value = {q(o['value'])}")
                if o.get("qualifier"):
                    w(f"qualifier = {q(o['qualifier'])}")
                if label:
                    w(f"period_label = {q(label)}")
                notes = [x for x in (ind.get("note"), note) if x]
                if notes:
                    w(f"note = {q(' ; '.join(notes))}")
        w("")
    w("# Other strategies the memorandum names; an action can serve several strategies.")
    for rid, fr, en in [
        ("plan-de-relance-wallonie", "Plan de Relance de la Wallonie", "Recovery Plan for Wallonia"),
        ("circular-wallonia", "Circular Wallonia", "Circular Wallonia"),
        ("s3", "Stratégie de spécialisation intelligente (S3)", "Smart specialisation strategy (S3)"),
        ("dpr-2024-2029", "Déclaration de politique régionale 2024-2029", "Regional policy declaration 2024-2029"),
    ]:
        w("[[related_strategies]]")
        w(f"id = {q(rid)}")
        w(f"name = {q({'fr': fr, 'en': en})}")
        w(f"source = {q(SRC + ', § Stratégie numérique de la Wallonie')}")
    w("")
    n = y["taxonomies"]["named_values"]
    w("# Named things of the ecosystem (entities), stated by the memorandum.")
    for f in n["funds"]:
        w("[[funds]]")
        w(f"id = {q(f['id'])}")
        w(f"name = {q({'fr': f['name']})}")
        w(f"operator = {q(f['operator'])}")
        w('programme = "dw4startups"')
        w(f"source = {q(SRC + ', § Actions emblématiques (Startups)')}")
    for l in n["labels"]:
        w("[[labels]]")
        w(f"id = {q(l['id'])}")
        w(f"name = {q({'fr': l['name']})}")
        w('programme = "industrie-du-futur"')
        w(f"source = {q(SRC + ', § Actions emblématiques (Industrie 4.0)')}")
    call_prog = {"start-ia": "dw4ai", "tremplin-ia": "dw4ai", "cap-ia": "dw4ai",
                 "implement-it-4-circularity": "dw4circular", "last-mile": "giga-region"}
    call_names = {"start-ia": "Start IA", "tremplin-ia": "Tremplin IA", "cap-ia": "CAP IA",
                  "implement-it-4-circularity": "Implement IT 4 Circularity", "last-mile": "Last Mile"}
    for c in n["calls"]:
        w("[[calls]]")
        w(f"id = {q(c)}")
        w(f"name = {q({'fr': call_names[c]})}")
        w(f"programme = {q(call_prog[c])}")
        w(f"source = {q(SRC + ', § Actions emblématiques')}")
    for org in n["support_actors"]:
        w("[[support_actors]]")
        w(f"id = {q(slug(org.split('(')[0]))}")
        w(f"name = {q({'fr': org})}")
        w(f"source = {q(SRC + ', § Actions emblématiques')}")
    w("")
    w("# Taxonomies the memorandum names. `stated = false`: the memorandum names the taxonomy")
    w("# (or the filter) but not its values; the values below are proposed and shown as such.")
    for sid, tfr, ten, stated, source, concepts in SCHEMES:
        w("[[schemes]]")
        w(f"id = {q(sid)}")
        w(f"title = {q({'fr': tfr, 'en': ten})}")
        w(f"stated = {q(stated)}")
        w(f"source = {q(source)}")
        for (no, fr, en, br) in concepts:
            d = {"notation": no, "labels": {"fr": fr, "en": en}}
            if br:
                d["broader"] = br
            w("[[schemes.concepts]]")
            for k, v in d.items():
                w(f"{k} = {q(v)}")
        w("")
    w("# The two « aimants intelligents » examples of the memorandum (§ Plateforme digitalwallonia.be).")
    for ex in y["smart_magnet_examples"]:
        w("[[smart_magnet_examples]]")
        w(f"fr = {q(ex['fr'])}")
    w("")
    for o in y["observatory"]:
        w("[[observatory]]")
        for k, v in o.items():
            w(f"{k} = {q(v)}")
    open("data/strategy/digital-wallonia.toml", "w", encoding="utf-8").write("\n".join(out) + "\n")


main()
