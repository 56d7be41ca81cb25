//! The words of the interface, in French (the default) and English. Templates read
//! them as `t.key`; a key missing from a template's table is an error (tested).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use super::Lang;

/// `(key, French, English)`.
const STRINGS: &[(&str, &str, &str)] = &[
    ("site", "Territoria", "Territoria"),
    (
        "tagline",
        "Tableau de bord public de la stratégie numérique wallonne",
        "Public dashboard of the Walloon digital strategy",
    ),
    ("skip", "Aller au contenu", "Skip to content"),
    ("nav_label", "Navigation principale", "Main navigation"),
    ("nav_strategy", "Stratégie", "Strategy"),
    ("nav_actions", "Actions", "Actions"),
    ("nav_explorer", "Écosystème", "Ecosystem"),
    ("nav_map", "Carte", "Map"),
    (
        "nav_near",
        "Lieux d'inclusion numérique",
        "Digital-inclusion places",
    ),
    ("lang_switch", "English", "Français"),
    (
        "lang_switch_label",
        "Read this page in English",
        "Lire cette page en français",
    ),
    ("breadcrumb", "Fil d'Ariane", "Breadcrumb"),
    ("home", "Accueil", "Home"),
    (
        "demo_notice_title",
        "Données de démonstration.",
        "Demonstration data.",
    ),
    (
        "demo_notice",
        "Les organisations, actions, lieux et indicateurs d'actions marqués « synthétique » sont produits par le générateur de démonstration de Territoria : ils ne sont pas réels. La stratégie, ses chiffres et les référentiels proviennent de sources publiques citées.",
        "Organisations, actions, places and action indicators marked “synthetic” are produced by Territoria's demo generator: they are not real. The strategy, its figures and the reference data come from cited public sources.",
    ),
    ("synthetic", "synthétique", "synthetic"),
    ("inferred", "déduit", "inferred"),
    (
        "inferred_title",
        "Lien non énoncé par la source, déduit",
        "Link not stated by the source, inferred",
    ),
    ("source", "Source", "Source"),
    ("sources", "Sources", "Sources"),
    ("download", "Télécharger les données", "Download the data"),
    ("download_csv", "CSV", "CSV"),
    ("download_json", "JSON", "JSON"),
    ("download_geojson", "GeoJSON", "GeoJSON"),
    (
        "open_data_note",
        "Données ouvertes : CSV (séparateur « ; », UTF-8 avec BOM), JSON, GeoJSON.",
        "Open data: CSV (“;” separator, UTF-8 with BOM), JSON, GeoJSON.",
    ),
    (
        "footer_about",
        "Territoria, plateforme open source d'intelligence territoriale (EUPL-1.2).",
        "Territoria, open-source territorial intelligence platform (EUPL-1.2).",
    ),
    (
        "footer_api",
        "API JSON et description OpenAPI",
        "JSON API and OpenAPI description",
    ),
    ("strategy", "Stratégie", "Strategy"),
    ("version", "Version", "Version"),
    ("show", "Afficher", "Show"),
    (
        "choose_strategy",
        "Choisir la stratégie et la version",
        "Choose the strategy and version",
    ),
    ("baseline_from", "partant de", "starting from"),
    (
        "strategies_title",
        "Toutes les stratégies",
        "Every strategy",
    ),
    (
        "strategies_intro",
        "La gouvernance par la donnée s'étend à toutes les politiques de la Déclaration de politique régionale : chaque stratégie suivie ici, sa version en cours, ce qu'elle contient et son statut, selon la même règle pour toutes.",
        "Governance by data extends to every policy of the Regional Policy Declaration: each strategy followed here, its current version, what it holds and its status, by the same rule for all.",
    ),
    (
        "strategies_no_version",
        "Nommée par les sources, sans structure enregistrée",
        "Named by the sources, with no recorded structure",
    ),
    ("strategies_structure", "Structure", "Structure"),
    (
        "strategies_new",
        "Créer une stratégie à partir du modèle vide (éditeurs et administrateurs)",
        "Create a strategy from the empty template (editors and administrators)",
    ),
    (
        "structure_describe",
        "Décrire sa structure (éditeurs et administrateurs)",
        "Describe its structure (editors and administrators)",
    ),
    (
        "no_tree",
        "Cette version n'a pas de hiérarchie enregistrée (la source ne la décrit pas).",
        "This version has no recorded hierarchy (the source does not describe it).",
    ),
    ("ambitions", "Ambitions", "Ambitions"),
    ("ambition", "Ambition", "Ambition"),
    ("programmes", "Programmes", "Programmes"),
    ("programme", "Programme", "Programme"),
    ("actions", "Actions", "Actions"),
    ("action", "Action", "Action"),
    ("values", "Valeurs", "Values"),
    ("levers", "Leviers politiques", "Policy levers"),
    ("lever", "Levier politique", "Policy lever"),
    ("indicators", "Indicateurs", "Indicators"),
    ("indicator", "Indicateur", "Indicator"),
    ("key_indicators", "Indicateurs clés", "Key indicators"),
    ("progress", "Avancement", "Progress"),
    (
        "progress_help",
        "Part de leur cible atteinte par les indicateurs réels (valeur observée ÷ cible publiée), moyenne sur ceux qui ont l'une et l'autre. Les cibles et valeurs synthétiques des actions de démonstration n'y entrent jamais.",
        "Share of their target reached by real indicators (observed value ÷ published target), averaged over those that have both. Synthetic targets and values of demo actions never count.",
    ),
    ("no_target", "aucune cible publiée", "no published target"),
    (
        "period_unspecified",
        "période non précisée",
        "period not stated",
    ),
    ("projection", "Projection", "Projection"),
    ("quote", "Citation", "Quotation"),
    (
        "synthetic_rollup",
        "répartition synthétique (démo) du chiffre énoncé, pour illustrer le cumul par action : ce n'est pas une donnée réelle",
        "synthetic (demo) breakdown of the stated figure, to illustrate the roll-up by action: not real data",
    ),
    (
        "memorandum_says",
        "Ce que dit le mémorandum",
        "What the memorandum says",
    ),
    ("conflicts_with", "À confronter avec", "Differs from"),
    ("vision_2024", "Vision 2024-2029", "2024-2029 vision"),
    ("challenges", "Défis majeurs", "Major challenges"),
    ("funded_by", "Financé par", "Funded by"),
    (
        "actions_by_status",
        "Actions par statut",
        "Actions by status",
    ),
    ("status", "Statut", "Status"),
    ("status_planned", "prévue", "planned"),
    ("status_ongoing", "en cours", "ongoing"),
    ("status_completed", "terminée", "completed"),
    ("status_suspended", "suspendue", "suspended"),
    ("status_cancelled", "annulée", "cancelled"),
    ("see_actions", "Voir les actions", "See the actions"),
    ("value", "Valeur", "Value"),
    ("period", "Période", "Period"),
    ("unit", "Unité", "Unit"),
    ("rule", "Cumul des actions", "Actions combined by"),
    ("rule_sum", "valeurs additionnées", "values added up"),
    ("rule_last", "dernière valeur retenue", "latest value kept"),
    ("rule_max", "valeur la plus haute", "highest value"),
    ("rule_mean", "moyenne des valeurs", "mean of the values"),
    ("stated", "Valeur énoncée", "Stated value"),
    ("rolled_up", "Cumul des actions", "Rolled up from actions"),
    (
        "rolled_help",
        "Valeurs des indicateurs d'actions qui contribuent à cet indicateur, combinées selon sa règle d'agrégation.",
        "Values of the action indicators that contribute to this indicator, combined by its aggregation rule.",
    ),
    ("target", "Cible", "Target"),
    ("targets", "Cibles", "Targets"),
    ("due", "Échéance", "Due"),
    ("cumulative", "Cumul", "Cumulative"),
    ("contributors", "indicateurs d'actions", "action indicators"),
    (
        "rollup_by_unit",
        "Totaux par unité (indicateurs additifs)",
        "Totals by unit (additive indicators)",
    ),
    (
        "rollup_by_unit_help",
        "Seuls les indicateurs dont la règle est « somme » s'additionnent entre programmes ; les autres sont montrés un par un.",
        "Only indicators whose rule is “sum” add up across programmes; the others are shown one by one.",
    ),
    ("chart_table", "Données du graphique", "Chart data"),
    ("description", "Description", "Description"),
    ("dates", "Dates", "Dates"),
    ("start", "Début", "Start"),
    ("end", "Fin", "End"),
    ("budget", "Budget", "Budget"),
    ("lead", "Opérateur", "Lead operator"),
    ("partners", "Partenaires", "Partners"),
    ("audiences", "Publics cibles", "Target audiences"),
    ("action_type", "Type d'action", "Action type"),
    ("funding", "Financement", "Funding"),
    ("territory", "Territoire", "Territory"),
    (
        "placements",
        "Place dans la stratégie",
        "Place in the strategy",
    ),
    ("none", "aucun", "none"),
    ("filters", "Filtres", "Filters"),
    ("filter", "Filtrer", "Filter"),
    ("reset", "Réinitialiser", "Reset"),
    ("any", "tous", "any"),
    (
        "relance",
        "Plan de Relance",
        "Recovery plan (Plan de Relance)",
    ),
    (
        "relance_yes",
        "financées par le Plan de Relance",
        "funded by the Plan de Relance",
    ),
    (
        "relance_no",
        "hors Plan de Relance",
        "not funded by the Plan de Relance",
    ),
    ("from", "Active à partir du", "Active from"),
    ("to", "Active jusqu'au", "Active until"),
    ("text", "Texte", "Text"),
    ("results", "résultats", "results"),
    ("result_count", "Nombre de résultats", "Number of results"),
    ("page", "Page", "Page"),
    ("previous", "Précédent", "Previous"),
    ("next", "Suivant", "Next"),
    ("pagination", "Pagination", "Pagination"),
    (
        "as_magnet",
        "Cette liste comme aimant intelligent",
        "This list as a smart magnet",
    ),
    (
        "explorer",
        "Explorateur de l'écosystème",
        "Ecosystem explorer",
    ),
    (
        "explorer_intro",
        "Combinez des facettes : les valeurs d'une même facette s'additionnent (OU), les facettes se combinent (ET). Chaque décompte tient compte des autres facettes.",
        "Combine facets: values within a facet add up (OR), facets combine (AND). Each count takes the other facets into account.",
    ),
    ("facets", "Facettes", "Facets"),
    (
        "search_in_facet",
        "Chercher dans cette facette",
        "Search in this facet",
    ),
    ("search", "Chercher", "Search"),
    ("more_values", "Toutes les valeurs", "All values"),
    ("fewer_values", "Moins de valeurs", "Fewer values"),
    ("up_level", "Niveau supérieur", "Up one level"),
    ("selected", "sélectionné", "selected"),
    ("remove", "Retirer", "Remove"),
    ("add", "Ajouter", "Add"),
    ("clear_all", "Tout effacer", "Clear all"),
    ("query", "Requête", "Query"),
    ("kind", "Type d'entité", "Entity kind"),
    ("kind_organisation", "Organisations", "Organisations"),
    ("kind_action", "Actions", "Actions"),
    ("kind_place", "Lieux", "Places"),
    ("members", "Membres", "Members"),
    (
        "api_check",
        "La même requête dans l'API",
        "The same query in the API",
    ),
    ("save_magnet", "Enregistrer l'aimant", "Save the magnet"),
    ("magnet_name", "Nom de l'aimant", "Magnet name"),
    ("saved_magnets", "Aimants enregistrés", "Saved magnets"),
    ("share", "Partager", "Share"),
    (
        "share_help",
        "L'adresse de cette page contient toute la sélection : copiez-la pour la partager.",
        "This page's address holds the whole selection: copy it to share it.",
    ),
    ("copy", "Copier le lien", "Copy the link"),
    ("saved", "Aimant enregistré", "Magnet saved"),
    (
        "export_screen",
        "Exporter ce qui est affiché",
        "Export what is on screen",
    ),
    ("members_all", "tous les membres", "all members"),
    ("facet_counts", "décomptes des facettes", "facet counts"),
    (
        "counts_by_municipality",
        "décomptes par commune",
        "counts by municipality",
    ),
    (
        "map_of_results",
        "Carte des résultats",
        "Map of the results",
    ),
    ("open_map", "Ouvrir sur la carte", "Open on the map"),
    ("map", "Carte de la Wallonie", "Map of Wallonia"),
    (
        "map_intro",
        "Choroplèthe par canton ou arrondissement judiciaire de n'importe quel aimant (organisations, actions, lieux) ou d'un indicateur ventilé par commune, et les lieux en points.",
        "Choropleth by judicial canton or arrondissement of any magnet (organisations, actions, places) or of an indicator broken down by municipality, and places as points.",
    ),
    ("map_magnet", "Aimant", "Magnet"),
    (
        "map_indicators",
        "Indicateurs par territoire",
        "Indicators by territory",
    ),
    (
        "map_indicator_none",
        "— aucun : compter les membres de l'aimant —",
        "— none: count the magnet's members —",
    ),
    (
        "map_indicator_total",
        "Total de la ventilation pour la Wallonie",
        "Total of the breakdown for Wallonia",
    ),
    (
        "map_indicator_stated",
        "chiffre régional publié",
        "published regional figure",
    ),
    (
        "combine_sum",
        "somme des communes",
        "sum of the municipalities",
    ),
    (
        "combine_mean",
        "moyenne des communes",
        "mean of the municipalities",
    ),
    (
        "combine_max",
        "maximum des communes",
        "maximum of the municipalities",
    ),
    (
        "see_on_map",
        "Voir par territoire sur la carte",
        "See by territory on the map",
    ),
    (
        "save_reserved",
        "L'enregistrement d'aimants est réservé sur cette instance ; le lien ci-dessus garde votre recherche.",
        "Saving magnets is reserved on this instance; the link above keeps your search.",
    ),
    ("layer", "Couche", "Layer"),
    ("by", "Découpage", "Areas"),
    ("by_canton", "cantons judiciaires", "judicial cantons"),
    (
        "by_arrondissement",
        "arrondissements judiciaires",
        "judicial arrondissements",
    ),
    ("measure", "Mesure", "Measure"),
    ("measure_count", "nombre", "count"),
    (
        "measure_rate",
        "pour 10 000 habitants",
        "per 10,000 inhabitants",
    ),
    ("area", "Zone", "Area"),
    ("count", "Nombre", "Count"),
    ("population", "Population", "Population"),
    ("rate", "Pour 10 000 hab.", "Per 10,000 inh."),
    ("legend", "Légende", "Legend"),
    ("map_table", "Données de la carte", "Map data"),
    (
        "partial_note",
        "Une commune partagée entre deux cantons compte dans chacun (couverture partielle, signalée par *) ; sa population y est répartie à parts égales (estimation).",
        "A municipality split between two cantons counts in each (partial coverage, marked *); its population is shared evenly between them (an estimate).",
    ),
    (
        "preset_orgs",
        "Toutes les organisations",
        "All organisations",
    ),
    (
        "preset_epn",
        "Espaces publics numériques (EPN)",
        "Digital public spaces (EPN)",
    ),
    (
        "preset_inclusion",
        "Acteurs de l'inclusion numérique",
        "Digital-inclusion actors",
    ),
    (
        "preset_actions",
        "Actions territorialisées",
        "Territorial actions",
    ),
    ("preset_startups", "Startups", "Startups"),
    ("points", "Lieux (points)", "Places (points)"),
    (
        "near_title",
        "Lieux d'inclusion numérique près de chez moi",
        "Digital-inclusion places near me",
    ),
    (
        "near_intro",
        "Espaces publics numériques (EPN) et autres acteurs de l'inclusion numérique, avec leurs services, par code postal.",
        "Digital public spaces (EPN) and other digital-inclusion actors, with their services, by postal code.",
    ),
    ("postcode", "Code postal", "Postal code"),
    (
        "postcode_help",
        "4 chiffres, par ex. 5000 (Namur)",
        "4 digits, e.g. 5000 (Namur)",
    ),
    ("service", "Service", "Service"),
    ("services", "Services", "Services"),
    ("find", "Trouver", "Find"),
    (
        "near_result",
        "Lieux les plus proches de",
        "Places nearest to",
    ),
    ("distance", "Distance", "Distance"),
    ("place", "Lieu", "Place"),
    ("municipality", "Commune", "Municipality"),
    ("kind_of_place", "Type", "Type"),
    (
        "distance_note",
        "Distances à vol d'oiseau depuis le centre de la commune.",
        "Straight-line distances from the municipality's centre.",
    ),
    ("entity", "Fiche", "Record"),
    ("tags", "Classements", "Classifications"),
    ("relations", "Relations", "Relations"),
    ("provenance", "Provenance", "Provenance"),
    ("error", "Erreur", "Error"),
    ("error_back", "Revenir à l'accueil", "Back to the home page"),
    (
        "about_title",
        "Données ouvertes et API",
        "Open data and API",
    ),
    (
        "contents",
        "Contenu de cette instance",
        "Contents of this instance",
    ),
    ("item", "Élément", "Item"),
    ("number", "Nombre", "Number"),
    (
        "strategy_switch",
        "Changer de stratégie ou de version",
        "Switch strategy or version",
    ),
    ("all_ambitions", "Toutes les ambitions", "All ambitions"),
    (
        "tree_note",
        "Les rattachements marqués « déduit » ne sont pas énoncés par le mémorandum.",
        "Links marked “inferred” are not stated by the memorandum.",
    ),
    ("in_english", "In English", "In English"),
    ("data_table", "Tableau de données", "Data table"),
    ("sorted_by_name", "triés par nom", "sorted by name"),
    ("about", "À propos", "About"),
];

static TABLES: LazyLock<[BTreeMap<&'static str, &'static str>; 2]> = LazyLock::new(|| {
    let all = || {
        STRINGS
            .iter()
            .chain(crate::account::words::WORDS)
            .chain(super::place::WORDS)
            .chain(super::members::WORDS)
    };
    let fr = all().map(|(k, f, _)| (*k, *f)).collect();
    let en = all().map(|(k, _, e)| (*k, *e)).collect();
    [fr, en]
});

/// The interface's words in `lang`.
pub fn table(lang: Lang) -> &'static BTreeMap<&'static str, &'static str> {
    &TABLES[match lang {
        Lang::Fr => 0,
        Lang::En => 1,
    }]
}

/// One word of the interface.
pub fn t(lang: Lang, key: &str) -> &'static str {
    table(lang).get(key).copied().unwrap_or_else(|| {
        debug_assert!(false, "no interface string `{key}`");
        ""
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_translated() {
        let mut seen = std::collections::HashSet::new();
        for (k, fr, en) in STRINGS
            .iter()
            .chain(crate::account::words::WORDS)
            .chain(crate::pages::place::WORDS)
            .chain(crate::pages::members::WORDS)
        {
            assert!(seen.insert(k), "duplicate key {k}");
            assert!(!fr.is_empty() && !en.is_empty(), "{k}");
        }
    }
}
