"""A generated directory of any size, as an Open Referral UK file, for load and search benchmarks.

Services are spread over the real towns of the three areas, with the real needs vocabulary, plausible
names, ages, costs and weekly sessions, so searches behave as they would on a council's directory.
Names and descriptions come from a small set (an activity in a town), as a real directory repeats
"Stay and play" in every town: the embedding of each distinct text is computed once at load, so 100,000
services load in minutes. Seeded: the same size always gives the same file.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from knowledge.geography.places import geographies
from knowledge.openreferral import shape
from knowledge.vocabulary import needs

ACTIVITIES = ["Stay and play", "Advice drop-in", "Youth club", "Job club", "Coffee morning", "Parenting course",
              "Swimming lessons", "Reading group", "Digital skills class", "Carers support group", "Food pantry",
              "Wellbeing walk", "Baby massage", "English conversation class", "Money advice clinic"]
KINDS = ["library", "leisure_centre", "family_centre", "community_centre", "youth_centre"]


def generate(n_services: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    towns = [t for g in geographies().values() for t in g.towns]
    vocabulary = [n.id for n in needs()]
    n_locations = max(10, n_services // 4)
    locations = []
    for i in range(n_locations):
        town = rng.choice(towns)
        district = town.districts[0] if town.districts else "L20"
        locations.append({
            "id": f"gen-loc-{i}", "name": f"{town.name} {rng.choice(KINDS).replace('_', ' ')} {i}",
            "location_type": "physical",
            "latitude": round(town.latitude + rng.uniform(-0.02, 0.02), 5),
            "longitude": round(town.longitude + rng.uniform(-0.03, 0.03), 5),
            "addresses": [{"id": f"gen-loc-{i}:address", "address_1": f"{rng.randint(1, 300)} High Street",
                           "city": town.name, "postal_code": f"{district} {rng.randint(1, 9)}AB", "country": "GB"}],
            "attributes": [shape.attribute(f"gen-loc-{i}", "location", shape.AREA, town.area_id),
                           shape.attribute(f"gen-loc-{i}", "location", shape.QUALITY, "illustrative")],
        })
    services = []
    for i in range(n_services):
        sid = f"gen-svc-{i}"
        home = rng.choice(locations)
        area_id = home["attributes"][0]["taxonomy_term"]["code"]
        area_wide = rng.random() < 0.05
        chosen_needs = rng.sample(vocabulary, rng.choice([1, 1, 2, 3]))
        low = rng.choice([None, 0, 0, 5, 11, 18])
        high = None if low is None else rng.choice([low + 4, low + 8, 19, 25, None])
        free = rng.random() < 0.8
        sessions = []
        sals = []
        if not area_wide:
            sites = [home] + ([rng.choice(locations)] if rng.random() < 0.3 else [])
            sites = [s for n, s in enumerate(sites)
                     if s["attributes"][0]["taxonomy_term"]["code"] == area_id and s not in sites[:n]]
            for site in sites:
                sals.append({"id": f"{sid}@{site['id']}", "service_id": sid, "location_id": site["id"], "location": site})
                for k in range(rng.choice([1, 1, 2])):
                    start = rng.choice([9, 10, 11, 13, 14, 16])
                    sessions.append({"id": f"{sid}#{site['id']}:{k}", "service_id": sid, "location_id": site["id"],
                                     "freq": "WEEKLY", "byday": rng.choice(shape.BYDAY[:6]),
                                     "opens_at": f"{start:02d}:00:00", "closes_at": f"{start + 1:02d}:30:00",
                                     "timezone": "Europe/London", "attributes": []})
        town = home["addresses"][0]["city"]
        activity = rng.choice(ACTIVITIES)
        name = f"{activity} in {town}"
        attrs = [shape.attribute(sid, "service", shape.AREA, area_id)]
        attrs += [shape.attribute(sid, "service", shape.NEEDS, n) for n in chosen_needs]
        attrs += [shape.attribute(sid, "service", shape.ACCESS, rng.choice(["drop_in", "booking", "self_referral"]))]
        if area_wide:
            attrs.append(shape.attribute(sid, "service", shape.DELIVERY, "area_wide"))
        services.append({
            "id": sid, "name": name, "organization_id": f"gen-org-{i % 500}",
            "organization": {"id": f"gen-org-{i % 500}", "name": f"Provider {i % 500}"},
            "description": f"{activity}: friendly local help, everyone welcome.",
            "status": "active", "minimum_age": low, "maximum_age": high,
            "cost_options": [{"id": f"{sid}:cost", "option": "Free" if free else "Charged",
                              "amount": 0.0 if free else 3.0, "currency": "GBP"}],
            "contacts": [{"id": f"{sid}:contact", "phones": [{"number": f"0151 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"}]}],
            "service_at_locations": sals, "schedules": sessions, "attributes": attrs,
        })
    return {"total_items": n_services, "contents": services}


def write(n_services: int, path: Path) -> Path:
    path.write_text(json.dumps(generate(n_services)), encoding="utf-8")
    return path
