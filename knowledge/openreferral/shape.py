"""The names shared by Open Referral UK export and import: taxonomies for what HSDS 3 has no field for.

Needs, audiences, access routes, localities, whether a service covers the whole area, the source
document and "illustrative" flags travel as HSDS ``attributes`` linked to a ``taxonomy_term`` in one of
these taxonomies, so any Open Referral consumer can read (or ignore) them.
"""
from __future__ import annotations

from typing import Any, Optional

from knowledge.vocabulary import TAXONOMY as NEEDS_TAXONOMY

AREA = "signpost-area"
AUDIENCE = "signpost-audience"
ACCESS = "signpost-access"
LOCALITY = "signpost-locality"
DELIVERY = "signpost-delivery"  # code "area_wide"
SOURCE = "signpost-source"  # code "document", value = file name
QUALITY = "signpost-data-quality"  # code "illustrative"
LOCATION_KIND = "signpost-location-kind"
SCHEDULE = "signpost-schedule"  # code "term_time_only"
NEEDS = NEEDS_TAXONOMY
EXTENSION = "x-signpost"
BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def attribute(link_id: str, link_type: str, taxonomy: str, code: str, name: Optional[str] = None,
              value: Optional[str] = None) -> dict[str, Any]:
    term_id = f"{taxonomy}:{code}"
    return {
        "id": f"{link_id}|{term_id}",
        "link_id": link_id,
        "link_type": link_type,
        "link_entity": link_type,
        "taxonomy_term_id": term_id,
        "value": value,
        "taxonomy_term": {"id": term_id, "code": code, "name": name or code, "taxonomy": taxonomy},
    }


def attributes_by_taxonomy(record: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """{taxonomy: [attribute, ...]} in file order, for the attributes of one record."""
    found: dict[str, list[dict[str, Any]]] = {}
    for attr in record.get("attributes") or []:
        term = attr.get("taxonomy_term") or {}
        taxonomy = term.get("taxonomy") or (attr.get("taxonomy_term_id") or "").split(":", 1)[0]
        found.setdefault(taxonomy, []).append(attr)
    return found


def codes(record: dict[str, Any], taxonomy: str) -> list[str]:
    return [
        (a.get("taxonomy_term") or {}).get("code") or (a.get("taxonomy_term_id") or "").split(":", 1)[-1]
        for a in attributes_by_taxonomy(record).get(taxonomy, [])
    ]
