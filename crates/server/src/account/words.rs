//! The governing face's addresses and words, in French and English (read by the
//! templates as `t.key`, with the dashboard's own words).

use crate::pages::Lang;

/// `(key, French path, English path)` of the face's pages.
const PATHS: &[(&str, &str, &str)] = &[
    ("login", "/fr/connexion", "/en/login"),
    ("logout", "/fr/deconnexion", "/en/logout"),
    ("account", "/fr/compte", "/en/account"),
    ("tokens", "/fr/compte/jetons", "/en/account/tokens"),
    (
        "revoke",
        "/fr/compte/jetons/revoquer",
        "/en/account/tokens/revoke",
    ),
    ("users", "/fr/compte/comptes", "/en/account/users"),
    ("bulk", "/fr/compte/mise-a-jour", "/en/account/bulk-update"),
    (
        "bulk_apply",
        "/fr/compte/mise-a-jour/appliquer",
        "/en/account/bulk-update/apply",
    ),
    ("revert", "/fr/compte/annuler", "/en/account/revert"),
    ("history", "/fr/historique", "/en/history"),
    ("edit", "/fr/compte/modifier", "/en/account/edit"),
    ("terms", "/fr/compte/taxonomies", "/en/account/taxonomies"),
];

/// The address of page `key` in `lang`.
pub fn path(lang: Lang, key: &str) -> String {
    PATHS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, fr, en)| match lang {
            Lang::Fr => (*fr).to_owned(),
            Lang::En => (*en).to_owned(),
        })
        .unwrap_or_else(|| panic!("no page `{key}`"))
}

/// Every page address of the face, by key, for the templates (`page.paths.login`).
pub fn paths(lang: Lang) -> std::collections::BTreeMap<&'static str, String> {
    PATHS.iter().map(|(k, _, _)| (*k, path(lang, k))).collect()
}

/// `(key, French, English)`.
pub const WORDS: &[(&str, &str, &str)] = &[
    (
        "acc_terms_title",
        "Taxonomies : les termes",
        "Taxonomies: the terms",
    ),
    (
        "acc_terms_intro",
        "Les libellés des termes (codes NACE, publics, types d'action, territoires…) en français, anglais, néerlandais et allemand, avec leur source. Les administrateurs les modifient ; chaque modification est tracée et peut être annulée.",
        "The labels of the terms (NACE codes, audiences, action types, territories…) in French, English, Dutch and German, with their source. Administrators edit them; every change is recorded and can be reverted.",
    ),
    ("acc_terms_scheme", "Taxonomie", "Taxonomy"),
    ("acc_terms_search", "Libellé ou code", "Label or code"),
    ("acc_terms_find", "Chercher", "Search"),
    (
        "acc_terms_none",
        "Aucun terme ne correspond.",
        "No term matches.",
    ),
    (
        "acc_term_label_fr",
        "Libellé en français",
        "Label in French",
    ),
    (
        "acc_term_label_en",
        "Libellé en anglais",
        "Label in English",
    ),
    (
        "acc_term_label_nl",
        "Libellé en néerlandais",
        "Label in Dutch",
    ),
    (
        "acc_term_label_de",
        "Libellé en allemand",
        "Label in German",
    ),
    (
        "acc_term_source",
        "Source des libellés",
        "Source of the labels",
    ),
    ("acc_term_save", "Enregistrer", "Save"),
    (
        "acc_term_saved",
        "Modification enregistrée.",
        "Change saved.",
    ),
    (
        "acc_term_conflict",
        "Quelqu'un a modifié ce terme pendant votre modification ; votre texte est conservé, comparez avec l'historique puis enregistrez à nouveau.",
        "Someone changed this term while you were editing; your text is kept: compare with the history, then save again.",
    ),
    ("acc_term_broader", "Terme plus large", "Broader term"),
    (
        "acc_term_top",
        "aucun (haut de la taxonomie)",
        "none (top of the taxonomy)",
    ),
    (
        "acc_term_readonly",
        "Seuls les administrateurs modifient les taxonomies.",
        "Only administrators edit the taxonomies.",
    ),
    ("acc_struct_new", "Nouvelle stratégie", "New strategy"),
    (
        "acc_struct_new_intro",
        "Toute politique régionale (Circular Wallonia, S3, Plan de relance, la DPR elle-même) peut être suivie ici : créez-la à partir du modèle vide, puis ajoutez ses ambitions, leviers, programmes et actions.",
        "Any regional policy (Circular Wallonia, S3, the recovery plan, the DPR itself) can be followed here: create it from the empty template, then add its ambitions, levers, programmes and actions.",
    ),
    (
        "acc_struct_key",
        "Identifiant (minuscules, chiffres, tirets)",
        "Id (lowercase letters, digits, dashes)",
    ),
    ("acc_struct_name_fr", "Nom en français", "Name in French"),
    (
        "acc_struct_name_en",
        "Nom en anglais (facultatif)",
        "Name in English (optional)",
    ),
    (
        "acc_struct_version",
        "Première version (ex. 2025-2030)",
        "First version (e.g. 2025-2030)",
    ),
    (
        "acc_struct_version_label",
        "Libellé de la version (facultatif)",
        "Version label (optional)",
    ),
    (
        "acc_struct_year",
        "Année d'adoption (facultatif)",
        "Year adopted (optional)",
    ),
    (
        "acc_struct_source",
        "Source (décision, plan, adresse)",
        "Source (decision, plan, address)",
    ),
    (
        "acc_struct_create",
        "Créer la stratégie",
        "Create the strategy",
    ),
    ("acc_struct_title", "Structure", "Structure"),
    (
        "acc_struct_intro",
        "Chaque ajout ou retrait est enregistré dans l'historique de l'élément, avec son auteur ; un administrateur peut l'annuler.",
        "Each addition or removal is recorded in the element's history with its author; an administrator can revert it.",
    ),
    ("acc_struct_version_shown", "Version", "Version"),
    ("acc_struct_elements", "éléments", "elements"),
    (
        "acc_struct_empty",
        "Cette version ne contient encore aucun élément.",
        "This version has no element yet.",
    ),
    ("acc_struct_add_here", "Ajouter sous", "Add under"),
    (
        "acc_struct_add_top",
        "Ajouter une ambition",
        "Add an ambition",
    ),
    ("acc_struct_kind", "Type", "Kind"),
    (
        "acc_struct_existing",
        "ou un élément existant (type/identifiant)",
        "or an existing element (kind/id)",
    ),
    ("acc_struct_add", "Ajouter", "Add"),
    ("acc_struct_remove", "Retirer", "Remove"),
    ("acc_struct_view", "Voir la stratégie", "See the strategy"),
    (
        "acc_struct_read_only",
        "Votre compte ne peut pas modifier cette stratégie.",
        "Your account may not change this strategy.",
    ),
    ("acc_struct_refused", "Refusé :", "Refused:"),
    ("acc_struct_done", "Enregistré :", "Saved:"),
    (
        "acc_struct_strategies",
        "Structure des stratégies",
        "Strategies' structure",
    ),
    ("acc_login_title", "Connexion", "Sign in"),
    (
        "acc_login_intro",
        "Les partenaires, éditeurs et administrateurs se connectent pour tenir les données à jour. La consultation ne demande aucun compte.",
        "Partners, editors and administrators sign in to keep the data current. Reading needs no account.",
    ),
    ("acc_login_name", "Identifiant", "Login"),
    ("acc_password", "Mot de passe", "Password"),
    ("acc_sign_in", "Se connecter", "Sign in"),
    ("acc_sign_out", "Se déconnecter", "Sign out"),
    ("acc_oidc_sign_in", "Se connecter avec", "Sign in with"),
    (
        "acc_login_failed",
        "Identifiant ou mot de passe incorrect. Après 5 échecs successifs, le compte est verrouillé 15 minutes.",
        "Wrong login or password. After 5 failures in a row the account is locked for 15 minutes.",
    ),
    (
        "acc_form_expired",
        "Le formulaire a expiré. Réessayez.",
        "The form has expired. Please try again.",
    ),
    (
        "acc_too_many",
        "Trop de tentatives de connexion depuis votre adresse. Réessayez dans 15 minutes.",
        "Too many sign-in attempts from your address. Try again in 15 minutes.",
    ),
    ("acc_title", "Mon compte", "My account"),
    ("acc_signed_in_as", "Connecté en tant que", "Signed in as"),
    ("acc_role", "Rôle", "Role"),
    ("acc_role_partner", "partenaire", "partner"),
    ("acc_role_editor", "éditeur", "editor"),
    ("acc_role_admin", "administrateur", "administrator"),
    ("acc_organisation", "Organisation", "Organisation"),
    ("acc_strategy", "Stratégie", "Strategy"),
    ("acc_all_strategies", "toutes", "all"),
    (
        "acc_my_actions",
        "Les actions de mon organisation",
        "My organisation's actions",
    ),
    (
        "acc_no_actions",
        "Votre organisation ne pilote aucune action.",
        "Your organisation leads no action.",
    ),
    (
        "acc_support_link",
        "Offres d'accompagnement du Digiscore (programmes, aides, opérateurs)",
        "Digiscore support offers (programmes, aids, operators)",
    ),
    (
        "acc_bulk_title",
        "Mise à jour par fichier",
        "Bulk update from a file",
    ),
    (
        "acc_bulk_intro",
        "Déposez un fichier CSV ou JSON au format de l'export (mêmes colonnes). Vous verrez d'abord ce qui change, ligne par ligne ; rien n'est écrit avant que vous ne confirmiez. Appliquer deux fois le même fichier ne change rien.",
        "Upload a CSV or JSON file in the export's layout (same columns). You first see what changes, row by row; nothing is written until you confirm. Applying the same file twice changes nothing.",
    ),
    ("acc_collection", "Données", "Data"),
    ("acc_col_organisations", "Organisations", "Organisations"),
    ("acc_col_actions", "Actions", "Actions"),
    (
        "acc_col_observations",
        "Observations d'indicateurs",
        "Indicator observations",
    ),
    (
        "acc_col_targets",
        "Cibles d'indicateurs",
        "Indicator targets",
    ),
    (
        "acc_col_places",
        "Lieux (EPN, bureaux, salles)",
        "Places (digital-inclusion places, offices, venues)",
    ),
    ("acc_col_events", "Événements", "Events"),
    ("acc_col_publications", "Publications", "Publications"),
    (
        "acc_col_people",
        "Personnes (nom, rôle public, affiliations)",
        "People (name, public role, affiliations)",
    ),
    ("acc_file", "Fichier (CSV ou JSON)", "File (CSV or JSON)"),
    ("acc_preview", "Voir les changements", "Preview the changes"),
    (
        "acc_sending",
        "Envoi du fichier : {pct}\u{202f}%",
        "Sending the file: {pct}%",
    ),
    (
        "acc_reading",
        "Fichier reçu ; lecture et comparaison ligne par ligne en cours…",
        "File received; reading and comparing it row by row…",
    ),
    (
        "acc_preview_title",
        "Changements proposés",
        "Proposed changes",
    ),
    ("acc_added", "ajoutés", "added"),
    ("acc_changed", "modifiés", "changed"),
    ("acc_unchanged", "inchangés", "unchanged"),
    ("acc_rejected", "refusés", "rejected"),
    ("acc_line", "Ligne", "Line"),
    ("acc_record", "Enregistrement", "Record"),
    ("acc_status", "Statut", "Status"),
    ("acc_field", "Champ", "Field"),
    ("acc_before", "Avant", "Before"),
    ("acc_after", "Après", "After"),
    ("acc_reason", "Motif", "Reason"),
    ("acc_status_added", "ajout", "added"),
    ("acc_status_changed", "modification", "changed"),
    (
        "acc_apply",
        "Appliquer les changements",
        "Apply the changes",
    ),
    (
        "acc_apply_valid_only",
        "Appliquer seulement les lignes valides (les lignes refusées sont ignorées)",
        "Apply the valid rows only (rejected rows are left out)",
    ),
    (
        "acc_nothing_to_apply",
        "Rien à appliquer : le fichier ne change rien.",
        "Nothing to apply: the file changes nothing.",
    ),
    (
        "acc_fix_rejected",
        "Corrigez les lignes refusées et déposez le fichier à nouveau, ou appliquez seulement les lignes valides.",
        "Fix the rejected rows and upload the file again, or apply the valid rows only.",
    ),
    ("acc_applied", "Changements appliqués", "Changes applied"),
    (
        "acc_applied_note",
        "Les changements sont enregistrés dans l'historique (entrée d'audit n°",
        "The changes are recorded in the history (audit entry no. ",
    ),
    (
        "acc_upload_expired",
        "Ce dépôt n'est plus disponible (il expire après une heure). Déposez le fichier à nouveau.",
        "This upload is no longer available (it expires after one hour). Upload the file again.",
    ),
    (
        "acc_tokens_title",
        "Jetons d'accès personnels",
        "Personal access tokens",
    ),
    (
        "acc_tokens_intro",
        "Pour les scripts et l'automatisation : envoyez l'en-tête Authorization: Bearer suivi du jeton. Un jeton n'est affiché qu'une fois.",
        "For scripts and automation: send the header Authorization: Bearer followed by the token. A token is shown once.",
    ),
    ("acc_token_name", "Nom du jeton", "Token name"),
    ("acc_token_scope", "Portée", "Scope"),
    ("acc_scope_read", "lecture", "read"),
    ("acc_scope_write", "écriture", "write"),
    ("acc_token_create", "Créer un jeton", "Create a token"),
    (
        "acc_token_new",
        "Votre nouveau jeton (copiez-le maintenant, il ne sera plus affiché) :",
        "Your new token (copy it now, it will not be shown again):",
    ),
    ("acc_token_revoke", "Révoquer", "Revoke"),
    ("acc_token_revoked", "révoqué", "revoked"),
    ("acc_token_last_used", "Dernier usage", "Last used"),
    ("acc_never", "jamais", "never"),
    ("acc_no_tokens", "Aucun jeton.", "No token."),
    ("acc_users_title", "Comptes", "Accounts"),
    ("acc_user_create", "Créer le compte", "Create the account"),
    ("acc_display_name", "Nom affiché", "Display name"),
    ("acc_email", "Courriel", "E-mail"),
    (
        "acc_organisation_hint",
        "Clé de l'organisation (obligatoire pour un partenaire)",
        "Organisation key (required for a partner)",
    ),
    (
        "acc_strategy_hint",
        "Clé de la stratégie (un éditeur limité à une stratégie)",
        "Strategy key (an editor limited to one strategy)",
    ),
    ("acc_disabled", "désactivé", "disabled"),
    (
        "acc_history",
        "Historique des modifications",
        "History of changes",
    ),
    (
        "acc_no_history",
        "Aucune modification enregistrée depuis l'import initial.",
        "No change recorded since the initial import.",
    ),
    ("acc_when", "Quand", "When"),
    ("acc_who", "Qui", "Who"),
    ("acc_what", "Quoi", "What"),
    ("acc_created", "création", "created"),
    (
        "acc_revert",
        "Annuler cette modification",
        "Revert this change",
    ),
    ("acc_last_change", "Dernière modification", "Last change"),
    ("acc_by", "par", "by"),
    ("acc_error", "Erreur", "Error"),
    ("acc_back", "Retour", "Back"),
    ("acc_history_path", "historique", "history"),
    ("acc_edit", "Modifier", "Edit"),
    ("acc_edit_path", "compte/modifier", "account/edit"),
    ("acc_edit_name", "Nom", "Name"),
    ("acc_edit_description", "Description", "Description"),
    ("acc_edit_status", "Statut", "Status"),
    ("acc_edit_start", "Début", "Start"),
    ("acc_edit_end", "Fin", "End"),
    ("acc_edit_budget", "Budget (€)", "Budget (€)"),
    ("acc_edit_website", "Site web", "Website"),
    ("acc_edit_employees", "Effectif", "Head count"),
    ("acc_edit_save", "Enregistrer", "Save"),
    ("acc_action_planned", "prévue", "planned"),
    ("acc_action_ongoing", "en cours", "ongoing"),
    ("acc_action_completed", "terminée", "completed"),
    ("acc_action_suspended", "suspendue", "suspended"),
    ("acc_action_cancelled", "annulée", "cancelled"),
    (
        "acc_edit_conflict",
        "Quelqu'un a modifié cette fiche pendant que vous l'éditiez. Vos valeurs sont ci-dessous ; vérifiez-les puis enregistrez à nouveau.",
        "Someone changed this record while you were editing it. Your values are below; check them and save again.",
    ),
    ("acc_account_path", "compte", "account"),
    (
        "acc_partner_space",
        "Espace partenaires : mettre les données à jour",
        "Partners' area: keep the data current",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_the_face_s_templates_use_exists() {
        let templates = [
            include_str!("../../templates/account/login.html"),
            include_str!("../../templates/account/account.html"),
            include_str!("../../templates/account/bulk.html"),
            include_str!("../../templates/account/history.html"),
            include_str!("../../templates/account/edit.html"),
            include_str!("../../templates/base.html"),
            include_str!("../../templates/entity.html"),
            include_str!("../../templates/action.html"),
        ];
        for text in templates {
            for (i, _) in text.match_indices("t.acc_") {
                let key: String = text[i + 2..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    WORDS.iter().any(|(k, _, _)| *k == key),
                    "a template uses `{key}`, which has no words"
                );
            }
        }
    }

    #[test]
    fn every_page_has_both_addresses_under_its_language() {
        for (k, fr, en) in PATHS {
            assert!(fr.starts_with("/fr/") && en.starts_with("/en/"), "{k}");
        }
        assert_eq!(path(Lang::Fr, "login"), "/fr/connexion");
    }
}
