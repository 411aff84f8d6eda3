"""Where residents are: towns, districts, postcodes, localities, pins; and the optional
postcodes.io-compatible lookup, served here by a local HTTP server that answers like postcodes.io."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from knowledge.geography import postcode_lookup
from knowledge.geography.places import geographies, resolve_place

SEFTON_TOWNS = ["Bootle", "Litherland", "Netherton", "Seaforth", "Waterloo", "Crosby", "Thornton", "Maghull",
                "Lydiate", "Aintree", "Formby", "Ainsdale", "Birkdale", "Southport", "Churchtown"]
SEFTON_DISTRICTS = ["L20", "L21", "L22", "L23", "L29", "L30", "L31", "L37", "L38", "PR8", "PR9"]


def test_sefton_geography_is_complete():
    sefton = geographies()["sefton"]
    assert {t.name for t in sefton.towns} >= set(SEFTON_TOWNS)
    assert {d.code for d in sefton.districts} >= set(SEFTON_DISTRICTS)
    assert [name for name, _ in sefton.localities] == ["North", "Central", "South"]


def test_every_area_geography_is_consistent():
    for area in geographies().values():
        districts = {d.code for d in area.districts}
        localities = {name for name, _ in area.localities}
        for town in area.towns:
            assert town.locality in localities, town.name
            assert set(town.districts) <= districts, town.name
            assert 49.8 < town.latitude < 55.9 and -6.5 < town.longitude < 1.8, town.name


@pytest.mark.parametrize("written, kind, area, name", [
    ("Bootle", "town", "sefton", "Bootle"),
    ("summat in bootle 2moro", "town", "sefton", "Bootle"),
    ("l20", "district", "sefton", "L20"),
    ("L20 3NJ", "postcode", "sefton", "L20 3NJ"),
    ("pr8 1aa", "postcode", "sefton", "PR8 1AA"),
    ("Southport", "town", "sefton", "Southport"),
    ("Loughborough", "town", "leicestershire", "Loughborough"),
    ("Devonport", "town", "plymouth", "Devonport"),
    ("PL4", "district", "plymouth", "PL4"),
])
def test_places_resolve(written, kind, area, name):
    place = resolve_place(written)
    assert (place.kind, place.area_id, place.name) == (kind, area, name)


def test_a_district_centre_is_used_for_a_full_postcode_offline(setting):
    setting("SIGNPOST_POSTCODES_URL", "")
    district = resolve_place("L20")
    postcode = resolve_place("L20 3NJ")
    assert (postcode.latitude, postcode.longitude) == (district.latitude, district.longitude)
    assert postcode.precise is False


class _PostcodesIo(BaseHTTPRequestHandler):
    known = {"L20 3NJ": (53.4512, -2.9934)}
    requests: list = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        postcode = self.path.rsplit("/", 1)[-1].replace("%20", " ")
        self.requests.append(postcode)
        if postcode in self.known:
            lat, lon = self.known[postcode]
            body, status = {"status": 200, "result": {"postcode": postcode, "latitude": lat, "longitude": lon}}, 200
        else:
            body, status = {"status": 404, "error": "Postcode not found"}, 404
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def postcodes_io(setting):
    server = HTTPServer(("127.0.0.1", 0), _PostcodesIo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    setting("SIGNPOST_POSTCODES_URL", f"http://127.0.0.1:{server.server_port}")
    postcode_lookup._answers.clear()
    yield server
    server.shutdown()
    postcode_lookup._answers.clear()


def test_a_configured_lookup_gives_the_postcode_its_own_point(postcodes_io):
    place = resolve_place("l203nj")
    assert (place.latitude, place.longitude, place.precise) == (53.4512, -2.9934, True)
    assert place.area_id == "sefton"


def test_a_postcode_the_lookup_does_not_know_falls_back_to_its_district(postcodes_io):
    place = resolve_place("L21 1AB")
    district = resolve_place("L21")
    assert (place.latitude, place.longitude, place.precise) == (district.latitude, district.longitude, False)


def test_an_unreachable_lookup_falls_back_and_is_asked_again_later(setting):
    setting("SIGNPOST_POSTCODES_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    postcode_lookup._answers.clear()
    place = resolve_place("L20 3NJ")
    assert place.area_id == "sefton" and place.precise is False
    assert postcode_lookup._answers == {}


def test_a_location_pin_written_as_text():
    place = resolve_place("53.6457,-3.0075")
    assert (place.kind, place.area_id, place.precise) == ("point", "sefton", True)
    assert resolve_place("51.5,-0.12").area_id is None  # London: outside every area
