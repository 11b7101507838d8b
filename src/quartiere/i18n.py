"""Every user-facing word of the documents meant for Berlin users, in German and English.

Profiles, the map legend and ``summary.md`` are read in a Berlin administration: German by default,
English with ``language: en`` in the configuration. The words live in :data:`MESSAGES`, one entry
per message with both languages side by side, so a translation is checked in one place; numbers
and dates are formatted by Babel (``1.234,5`` and ``28. November 2026`` in German).

>>> t = Messages("de")
>>> t("inhabitants")
'Einwohnerinnen und Einwohner'
>>> t.number(1234.5, 1)
'1.234,5'
>>> Messages("en").number(1234.5, 1)
'1,234.5'
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
from babel.dates import format_date
from babel.numbers import format_decimal

__all__ = ["LANGUAGES", "Language", "MESSAGES", "Messages"]

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # page furniture
    "profile": {"de": "Profil", "en": "Profile"},
    "profiles_title": {
        "de": "Handlungsräume: Bestandsaufnahme",
        "en": "Handlungsräume: stock-taking (Bestandsaufnahme)",
    },
    "index_intro": {
        "de": "Profile aller Handlungsräume der Ausgabe {edition}, erstellt am {date}.",
        "en": "Profiles of every Handlungsraum of edition {edition}, made on {date}.",
    },
    "handlungsraum": {"de": "Handlungsraum", "en": "Handlungsraum"},
    "overview": {"de": "Übersicht", "en": "Overview"},
    "back_to_index": {"de": "Zur Übersicht", "en": "Back to the overview"},
    "made_on": {"de": "Stand: {date}", "en": "As of {date}"},
    "edition": {"de": "Ausgabe", "en": "Edition"},
    "pdf_version": {"de": "PDF-Fassung", "en": "PDF version"},
    # key figures
    "key_figures": {"de": "Kennzahlen", "en": "Key figures"},
    "figure": {"de": "Kennzahl", "en": "Figure"},
    "inhabitants": {"de": "Einwohnerinnen und Einwohner", "en": "Inhabitants"},
    "area_km2": {"de": "Fläche (km²)", "en": "Area (km²)"},
    "n_plr": {"de": "Planungsräume", "en": "Planning areas"},
    "density": {"de": "Einwohner je km²", "en": "Inhabitants per km²"},
    "share_of_bezirk": {"de": "Anteil am Bezirk", "en": "Share of the Bezirk"},
    "bezirk": {"de": "Bezirk", "en": "Bezirk (district)"},
    "berlin": {"de": "Berlin", "en": "Berlin"},
    "name": {"de": "Name", "en": "Name"},
    "number": {"de": "Nr.", "en": "No."},
    # map
    "map": {"de": "Karte", "en": "Map"},
    "map_alt": {
        "de": (
            "Karte des Handlungsraums {hr_id} {name}: Planungsräume nach Zahl der erfüllten "
            "Kriterien, Einschulungsbereiche, benachbarte Handlungsräume und Bezirksgrenze."
        ),
        "en": (
            "Map of Handlungsraum {hr_id} {name}: planning areas by number of criteria met, "
            "school catchments, neighbouring areas and the district border."
        ),
    },
    "overview_alt": {
        "de": "Übersichtskarte Berlins mit den nummerierten Handlungsräumen und Bezirksgrenzen.",
        "en": "Overview map of Berlin with the numbered Handlungsräume and district borders.",
    },
    "legend_title": {"de": "Planungsräume", "en": "Planning areas (Planungsräume)"},
    "criteria_0": {"de": "0 von 3 Kriterien erfüllt", "en": "0 of 3 criteria met"},
    "criteria_1": {"de": "1 von 3 Kriterien erfüllt", "en": "1 of 3 criteria met"},
    "criteria_2": {"de": "2 von 3 Kriterien erfüllt", "en": "2 of 3 criteria met"},
    "criteria_3": {
        "de": "3 von 3 Kriterien erfüllt (MSS, Schulen und Sozialatlas)",
        "en": "3 of 3 criteria met (MSS, schools and social atlas)",
    },
    "legend_area": {"de": "Handlungsraum (Nummer)", "en": "Handlungsraum (number)"},
    "legend_neighbour": {"de": "benachbarter Handlungsraum", "en": "neighbouring Handlungsraum"},
    "legend_district": {"de": "Bezirksgrenze", "en": "district border (Bezirk)"},
    "legend_catchment": {
        "de": "Einschulungsbereich mit lmb-Anteil ≥ {threshold} %",
        "en": "school catchment with lmb share ≥ {threshold} %",
    },
    "legend_school": {"de": "Grundschule", "en": "primary school"},
    "map_crs": {"de": "Karte: EPSG:25833 (ETRS89 / UTM 33N).", "en": "Map: EPSG:25833."},
    # criteria
    "c_mss": {"de": "MSS", "en": "MSS"},
    "c_schools": {"de": "Schulen", "en": "schools"},
    "c_atlas": {"de": "Sozialatlas", "en": "social atlas"},
    "c_mss_long": {
        "de": "MSS: Gebiet mit besonderem Aufmerksamkeitsbedarf",
        "en": "MSS: area needing particular attention",
    },
    "c_schools_long": {
        "de": "Schulen: Flächenanteil in Einschulungsbereichen mit hohem lmb-Anteil",
        "en": "Schools: area share in catchments with a high lmb share",
    },
    "c_atlas_long": {
        "de": "Sozialatlas: Schicht 7 (Näherung)",
        "en": "Social atlas: stratum 7 (approximation)",
    },
    "met": {"de": "erfüllt", "en": "met"},
    "not_met": {"de": "nicht erfüllt", "en": "not met"},
    "no_data": {"de": "keine Daten", "en": "no data"},
    # indicators
    "indicators": {"de": "MSS-Indikatoren der Ausgabe", "en": "MSS indicators of the edition"},
    "indicators_note": {
        "de": (
            "Einwohnergewichtete Mittel über die vom MSS indizierten Planungsräume "
            "(mehr als 300 Einwohner); Angaben in Prozent, soweit nicht anders angegeben."
        ),
        "en": (
            "Population-weighted means over the planning areas the MSS indexes (more than 300 "
            "inhabitants); in percent unless stated otherwise."
        ),
    },
    "index_indicators": {"de": "Indexindikatoren", "en": "Index indicators"},
    "context_indicators": {"de": "Kontextindikatoren", "en": "Context indicators"},
    "indicator": {"de": "Indikator", "en": "Indicator"},
    "s1": {"de": "s1 Arbeitslosigkeit", "en": "s1 unemployment"},
    "s2": {"de": "s2 Langzeitarbeitslosigkeit", "en": "s2 long-term unemployment"},
    "s3": {"de": "s3 Transferbezug", "en": "s3 transfer receipt"},
    "s4": {
        "de": "s4 Kinderarmut (unter 15-Jährige in SGB-II-Bedarfsgemeinschaften)",
        "en": "s4 child poverty (under-15s in SGB II households)",
    },
    "k01": {"de": "k01 Jugendarbeitslosigkeit", "en": "k01 youth unemployment"},
    "k02": {"de": "k02 Alleinerziehende Haushalte", "en": "k02 single-parent households"},
    "k03": {"de": "k03 Altersarmut", "en": "k03 old-age poverty"},
    "k04": {
        "de": "k04 Kinder und Jugendliche mit Migrationshintergrund",
        "en": "k04 children with a migration background",
    },
    "k05": {
        "de": "k05 Einwohner mit Migrationshintergrund",
        "en": "k05 inhabitants with a migration background",
    },
    "k06": {
        "de": "k06 Veränderung des Ausländeranteils (Prozentpunkte)",
        "en": "k06 change of the share of foreigners (percentage points)",
    },
    "k07": {
        "de": "k07 Ausländische Transferbezieher",
        "en": "k07 foreign transfer recipients",
    },
    "k08": {"de": "k08 Städtische Wohnungen", "en": "k08 municipal housing"},
    "k09": {"de": "k09 Einfache Wohnlage", "en": "k09 simple residential area"},
    "k10": {"de": "k10 Wohndauer über 5 Jahre", "en": "k10 residence over 5 years"},
    "k11": {
        "de": "k11 Wanderungsvolumen (je 100 Einwohner)",
        "en": "k11 migration volume (per 100 inhabitants)",
    },
    "k12": {
        "de": "k12 Wanderungssaldo (je 100 Einwohner)",
        "en": "k12 migration balance (per 100 inhabitants)",
    },
    "k13": {
        "de": "k13 Wanderungssaldo von Kindern unter 6 Jahren (je 100)",
        "en": "k13 migration balance of children under 6 (per 100)",
    },
    "k14": {"de": "k14 Kinder unter 6 Jahren", "en": "k14 children under 6"},
    "k15": {"de": "k15 Ältere Menschen", "en": "k15 older people"},
    "k16": {"de": "k16 Ausländerinnen und Ausländer", "en": "k16 foreigners"},
    "k17": {"de": "k17 Nicht-EU-Ausländer", "en": "k17 non-EU foreigners"},
    # trend
    "trend": {
        "de": "Entwicklung über die MSS-Ausgaben {first} bis {last}",
        "en": "Trend over the MSS editions {first} to {last}",
    },
    "trend_note": {
        "de": (
            "Für die heutige Fläche des Handlungsraums. Ausgaben auf den LOR 2006 wurden mit der "
            "Zonenübertragung des Projekts auf diese Fläche übertragen (einwohnergewichtet; "
            "Einwohner anteilig nach Fläche). Das ist eine Näherung."
        ),
        "en": (
            "For the area's present footprint. Editions on LOR 2006 were moved onto it by the "
            "project's zone transfer (population-weighted; inhabitants apportioned by area). "
            "This is an approximation."
        ),
    },
    "trend_alt": {
        "de": "Liniendiagramm der Indikatoren s1, s3 und s4 je MSS-Ausgabe für {name} und Berlin.",
        "en": "Line chart of indicators s1, s3 and s4 per MSS edition for {name} and Berlin.",
    },
    "mss_edition": {"de": "MSS-Ausgabe", "en": "MSS edition"},
    "attention_share": {
        "de": "Anteil der Einwohner in Gebieten mit besonderem Aufmerksamkeitsbedarf (%)",
        "en": "Share of inhabitants in areas needing particular attention (%)",
    },
    "in_area_share": {
        "de": "Anteil der Fläche in einem Handlungsraum der Ausgabe (%)",
        "en": "Share of the footprint inside a Handlungsraum of that edition (%)",
    },
    "transferred": {"de": "übertragen von LOR 2006", "en": "transferred from LOR 2006"},
    "no_trend": {
        "de": "Keine Ausgaben gefunden: keine Zeitreihe.",
        "en": "No editions found: no trend.",
    },
    # planning areas
    "planning_areas": {"de": "Planungsräume", "en": "Planning areas"},
    "plr": {"de": "Planungsraum", "en": "Planning area"},
    "decision": {"de": "Entscheidung", "en": "Decision"},
    "mss_status_dynamic": {"de": "MSS Status / Dynamik", "en": "MSS status / dynamic"},
    "lmb_area_share": {
        "de": "Fläche in Einschulungsbereichen mit hohem lmb-Anteil (%)",
        "en": "Area in catchments with a high lmb share (%)",
    },
    "atlas_value": {"de": "Sozialatlas: Index / Schicht", "en": "Social atlas: index / stratum"},
    # schools
    "schools": {"de": "Schulen", "en": "Schools"},
    "schools_from_catchments": {
        "de": (
            "Keine Schulliste in diesem Build: die Einschulungsbereiche, die den Handlungsraum "
            "berühren, mit ihrem Anteil lernmittelbefreiter Schülerinnen und Schüler (lmb)."
        ),
        "en": (
            "No school list in this build: the school catchments touching the area, with their "
            "share of pupils exempt from learning-material fees (lmb)."
        ),
    },
    "school": {"de": "Schule", "en": "School"},
    "schools_note": {
        "de": (
            "Schulliste: Thomas Tursics (MIT), nach Drucksache 18/17293. Die lmb-Anteile der "
            "Schulen sind Schätzungen, soweit nicht als amtlich gekennzeichnet."
        ),
        "en": (
            "School list: Thomas Tursics (MIT), after Drucksache 18/17293. The schools' lmb "
            "shares are estimates unless marked official."
        ),
    },
    "catchment": {"de": "Einschulungsbereich", "en": "School catchment"},
    "lmb_share": {"de": "lmb-Anteil (%)", "en": "lmb share (%)"},
    "lmb_source": {"de": "Quelle", "en": "Source"},
    "estimate": {"de": "Schätzung", "en": "estimate"},
    "official": {"de": "amtlich", "en": "official"},
    "flagged": {"de": "≥ Schwelle", "en": "≥ threshold"},
    "yes": {"de": "ja", "en": "yes"},
    "no": {"de": "nein", "en": "no"},
    # robustness
    "robustness": {"de": "Robustheit", "en": "Robustness"},
    "robustness_absent": {
        "de": "Keine Sensitivitätsanalyse angegeben (quartiere profiles --sensitivity DIR).",
        "en": "No sensitivity analysis given (quartiere profiles --sensitivity DIR).",
    },
    "robustness_missing_area": {
        "de": "Die Sensitivitätsanalyse enthält diesen Handlungsraum nicht.",
        "en": "The sensitivity analysis does not contain this area.",
    },
    "stability": {
        "de": "Stabilität (Anteil der Szenarien, in denen der Handlungsraum besteht)",
        "en": "Stability (share of scenarios in which the area exists)",
    },
    "mean_jaccard": {
        "de": "Mittlere Übereinstimmung (Jaccard)",
        "en": "Mean agreement (Jaccard)",
    },
    "contested": {"de": "Umstrittene Planungsräume", "en": "Contested planning areas"},
    "no_contested": {
        "de": "Keiner der Planungsräume ist umstritten.",
        "en": "None of its planning areas is contested.",
    },
    "inclusion": {"de": "Einschlusshäufigkeit (%)", "en": "Inclusion frequency (%)"},
    "class": {"de": "Einstufung", "en": "Class"},
    "robust-in": {"de": "robust innen", "en": "robust in"},
    "robust-out": {"de": "robust außen", "en": "robust out"},
    "contested_class": {"de": "umstritten", "en": "contested"},
    # sources
    "sources": {"de": "Quellen, Lizenzen und Ausgabe", "en": "Sources, licences and edition"},
    "estimates_heading": {
        "de": "Schätzungen und Näherungen",
        "en": "Estimates and approximations",
    },
    "lmb_estimate_note": {
        "de": (
            "Die lmb-Anteile der Einschulungsbereiche sind eine Schätzung aus der MSS-Kinderarmut "
            "(s4); eine amtliche, maschinenlesbare Tabelle ist nicht veröffentlicht."
        ),
        "en": (
            "The catchments' lmb shares are an estimate from MSS child poverty (s4); no official "
            "machine-readable table is published."
        ),
    },
    "atlas_note": {
        "de": (
            "Das Sozialatlas-Kriterium ist eine Näherung der Schicht 7 des Sozialstrukturatlas "
            "2013 (nicht maschinenlesbar veröffentlicht)."
        ),
        "en": (
            "The social atlas criterion approximates stratum 7 of the Sozialstrukturatlas 2013 "
            "(not published in machine-readable form)."
        ),
    },
    "trend_approx_note": {
        "de": "Die Zeitreihe vor 2021 ist auf die heutige Fläche übertragen (Näherung).",
        "en": "The trend before 2021 is transferred onto today's footprint (approximation).",
    },
    "build_facts": {"de": "Build", "en": "Build"},
    "key": {"de": "Schlüssel", "en": "Key"},
    "value": {"de": "Wert", "en": "Value"},
    "source_links": {"de": "Datenquellen", "en": "Data sources"},
    "made_with": {
        "de": "Erstellt mit quartiere {version}.",
        "en": "Made with quartiere {version}.",
    },
    # summary.md and the build's map
    "summary_title": {"de": "Handlungsräume: {edition}", "en": "Handlungsräume: {edition}"},
    "summary_columns": {
        "de": "| Nr. | Name | Bezirk | PLR | Einwohner | Erfüllte Kriterien (PLR) |",
        "en": "| Nr. | Name | Bezirk | PLR | Population | Criteria met (PLR) |",
    },
    "summary_none": {"de": "keine", "en": "none"},
    "summary_members": {
        "de": "Planungsräume je Handlungsraum",
        "en": "Planning areas per Handlungsraum",
    },
    "summary_totals": {"de": "Gesamtstadt", "en": "Citywide totals"},
    "summary_n_areas": {
        "de": "Handlungsräume (mit Teilgebieten): {n}",
        "en": "Handlungsräume (incl. parts): {n}",
    },
    "summary_n_plr": {
        "de": "Planungsräume in einem Handlungsraum: {n} von {total}",
        "en": "Planning areas in a Handlungsraum: {n} of {total}",
    },
    "summary_population": {
        "de": "Einwohner in Handlungsräumen: {n} von {total} ({share} %)",
        "en": "Population in Handlungsräume: {n} of {total} ({share} %)",
    },
    "summary_criterion": {
        "de": "Planungsräume, die das Kriterium {label} erfüllen: {n}",
        "en": "Planning areas meeting the {label} criterion: {n}",
    },
    "summary_distribution": {
        "de": "Planungsräume nach Zahl erfüllter Kriterien: {distribution}",
        "en": "Planning areas by number of criteria met: {distribution}",
    },
    "summary_estimates": {
        "de": "Schätzungen und Näherungen",
        "en": "Estimates and approximations",
    },
}


class Messages:
    """The catalogue in one language, with number and date formatting of that language."""

    def __init__(self, language: str = "de") -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
        self.language: Language = language  # type: ignore[assignment]

    def __call__(self, key: str, **values: object) -> str:
        """The message ``key`` in this language, with ``{placeholders}`` filled in."""
        text = MESSAGES[key][self.language]
        return text.format(**values) if values else text

    def number(self, value: Any, decimals: int = 0) -> str:
        """A number as this language writes it (``1.234,5``); an en dash for no data."""
        if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
            return "–"
        fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
        return str(format_decimal(round(float(value), decimals), format=fmt, locale=self.language))

    def date(self, value: date | datetime) -> str:
        """A date as this language writes it (``28. November 2026``)."""
        return str(format_date(value, format="long", locale=self.language))
