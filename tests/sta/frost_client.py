"""Drives a running `territoria serve` with FROST's maintained Python client
(frost-sta-client, PyPI): create a Thing with its Location, a Sensor, an
ObservedProperty and a Datastream, post observations, then query them back with
$filter, $orderby, $top, $expand and paging through @iot.nextLink.

    python tests/sta/frost_client.py http://127.0.0.1:8080/api/sta/v1.1 terr_…

Exits non-zero (an AssertionError) when an answer is not what the API promises.
"""

import sys

import frost_sta_client as fsc
from frost_sta_client.service.auth_handler import AuthHandler
from requests.auth import AuthBase


class Bearer(AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = "Bearer " + self.token
        return r


class BearerHandler(AuthHandler):
    """The client knows basic auth; Territoria's API takes bearer tokens."""

    def __init__(self, token):
        super().__init__()
        self.token = token

    def add_auth_header(self):
        return Bearer(self.token)


def main(url, token):
    service = fsc.SensorThingsService(url, auth_handler=BearerHandler(token))
    location = fsc.Location(
        name="Ourthe à Tabreux",
        description="level station (demo)",
        encoding_type="application/geo+json",
        location={"type": "Point", "coordinates": [5.53, 50.45]},
    )
    thing = fsc.Thing(name="Tabreux", description="gauging station (demo)", locations=[location])
    service.create(thing)
    assert isinstance(thing.id, int), thing.id
    sensor = fsc.Sensor(name="radar", description="radar gauge", encoding_type="text/plain", metadata="none")
    prop = fsc.ObservedProperty(name="level", definition="http://example.org/level", description="water level")
    datastream = fsc.Datastream(
        name="level Tabreux",
        description="every 5 minutes",
        observation_type="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        unit_of_measurement=fsc.UnitOfMeasurement(name="metre", symbol="m", definition="http://qudt.org/vocab/unit/M"),
        thing=thing,
        sensor=sensor,
        observed_property=prop,
    )
    service.create(datastream)
    assert isinstance(datastream.id, int), datastream.id

    for i in range(30):
        obs = fsc.Observation(
            result=1.0 + i / 100,
            phenomenon_time="2024-06-01T%02d:%02d:00Z" % (i * 5 // 60, i * 5 % 60),
            datastream=datastream,
        )
        service.create(obs)
        assert obs.id, "the observation's id comes back in Location"

    found = service.things().find(thing.id)
    assert found.name == "Tabreux", found.name

    # $filter, $orderby, $top: the five highest levels.
    top = (
        service.observations()
        .query()
        .filter("result ge 1.1 and Datastream/@iot.id eq %d" % datastream.id)
        .orderby("result", "desc")
        .top(5)
        .list()
    )
    results = [o.result for o in top.entities]
    assert results == [1.29, 1.28, 1.27, 1.26, 1.25], results

    # Paging through @iot.nextLink: all 30, 7 at a time.
    pages = service.observations().query().filter("Datastream/@iot.id eq %d" % datastream.id).top(7).list()
    every = [o.result for o in pages]
    assert len(every) == 30, len(every)

    # $expand with nested options.
    things = (
        service.things()
        .query()
        .filter("name eq 'Tabreux'")
        .expand("Datastreams($expand=Observations($orderby=phenomenonTime desc;$top=1)),Locations")
        .list()
    )
    t = things.entities[0]
    assert t.locations.entities[0].name == "Ourthe à Tabreux"
    newest = t.datastreams.entities[0].observations.entities[0]
    assert newest.result == 1.29, newest.result
    print("frost-sta-client: create, observations, $filter/$orderby/$top, nextLink paging and $expand all answered as expected")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
