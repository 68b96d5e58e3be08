#!/usr/bin/env python3
"""Open311 GeoReport v2 conformance, spoken over HTTP by a client that is not
ours (Python's urllib, json and xml.etree, as public client libraries do):
every endpoint in both formats, with and without a key, every filter of GET
requests and its comma form, each field against the spec's field list
(types, w3 date-times, required fields) and the spec's error codes.

gateway_open311_test starts PostgreSQL, grid, intake and the gateway, loads
a district and runs this with the environment below; it exits 1 on any
failure, naming each."""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

BASE = os.environ["OPEN311_BASE"]            # http://127.0.0.1:port
KEY = os.environ["OPEN311_KEY"]              # an outside app's: passes requests on to the stations
STAFF_KEY = os.environ["OPEN311_STAFF_KEY"]  # takes the case's steps (REST)
SLOW_KEY = os.environ["OPEN311_SLOW_KEY"]    # 1 a second, burst 2
JURISDICTION = os.environ["OPEN311_JURISDICTION"]
ZONE = os.environ["OPEN311_ZONE"]
ZONE_LAT = float(os.environ["OPEN311_ZONE_LAT"])
ZONE_LON = float(os.environ["OPEN311_ZONE_LON"])
ZONE_ADDRESS = os.environ["OPEN311_ZONE_ADDRESS"]      # "zone, community, street"
COMMUNITY = os.environ["OPEN311_COMMUNITY_NAME"]
BUILDING = os.environ["OPEN311_BUILDING"]              # a building's address, e.g. 兴隆路12号
HOUSEHOLD = os.environ["OPEN311_HOUSEHOLD"]
SERVICE = os.environ["OPEN311_SERVICE"]                # has materials to bring
MATERIALS = json.loads(os.environ["OPEN311_MATERIALS"])
OTHER_SERVICE = os.environ["OPEN311_OTHER_SERVICE"]    # none

failures = []
W3 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def check(condition, what):
    if not condition:
        failures.append(what)
    return condition


def http(method, path, query=None, form=None, headers=None):
    url = BASE + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.headers, reply.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8")


def parse(fmt, headers, body, where):
    if fmt == "json":
        check(headers.get("Content-Type", "").startswith("application/json"), where + ": JSON content type")
        return json.loads(body)
    check(headers.get("Content-Type", "").startswith("text/xml"), where + ": XML content type")
    check(body.startswith('<?xml version="1.0" encoding="UTF-8"?>'), where + ": XML declaration")
    return ET.fromstring(body.encode("utf-8"))


def xml_value(element):
    """An element as the JSON value it stands for: text, or its children."""
    if len(element) == 0:
        return element.text
    tags = [child.tag for child in element]
    if len(set(tags)) == 1 and len(tags) > 0 and element.tag.rstrip("s") == tags[0]:
        return [xml_value(child) for child in element]
    return {child.tag: xml_value(child) for child in element}


def same(json_value, xml_text, where):
    """A JSON value and its XML element's text say the same."""
    if json_value is None or json_value == []:
        return check(xml_text in (None, "", []), where + ": null or an empty list is an empty element")
    if isinstance(json_value, bool):
        return check(xml_text == ("true" if json_value else "false"), where + ": boolean")
    if isinstance(json_value, (int, float)):
        return check(xml_text is not None and abs(float(xml_text) - json_value) < 1e-9, where + ": number")
    if isinstance(json_value, list):
        return check(isinstance(xml_text, list) and len(xml_text) == len(json_value), where + ": list") and all(
            same(a, b, where) for a, b in zip(json_value, xml_text))
    if isinstance(json_value, dict):
        return check(isinstance(xml_text, dict), where + ": element") and all(
            same(v, xml_text.get(k), where + "." + k) for k, v in json_value.items())
    return check(json_value == xml_text, "%s: %r != %r" % (where, json_value, xml_text))


def both(path, query=None, root=None, item=None, expect=200):
    """GET path in both formats: the JSON value, after checking the XML one
    says the same under root (and item for lists)."""
    status, headers, body = http("GET", path + ".json", query)
    check(status == expect, "GET %s.json %s: %d %s" % (path, query, status, body[:200]))
    value = parse("json", headers, body, path + ".json")
    status, headers, body = http("GET", path + ".xml", query)
    check(status == expect, "GET %s.xml %s: %d %s" % (path, query, status, body[:200]))
    document = parse("xml", headers, body, path + ".xml")
    check(document.tag == root, "%s.xml: root %s, not %s" % (path, document.tag, root))
    if item:
        check(all(child.tag == item for child in document), "%s.xml: every child is <%s>" % (path, item))
        same(value, [xml_value(child) if len(child) else {} for child in document], path + ".xml")
    else:
        same(value, {child.tag: xml_value(child) for child in document}, path + ".xml")
    return value


def error_list(status, headers, body, fmt, code, where, text=None):
    """The spec's error list, each {code, description}, with this code."""
    check(status == code, "%s: expected %d, got %d %s" % (where, code, status, body[:200]))
    if fmt == "json":
        errors = json.loads(body)
        ok = isinstance(errors, list) and errors and all(
            isinstance(e.get("code"), int) and e["code"] == code and isinstance(e.get("description"), str)
            for e in errors)
        descriptions = " ".join(e.get("description", "") for e in errors) if isinstance(errors, list) else ""
    else:
        document = ET.fromstring(body.encode("utf-8"))
        ok = document.tag == "errors" and len(document) > 0 and all(
            e.tag == "error" and e.findtext("code") == str(code) and e.findtext("description") for e in document)
        descriptions = " ".join(e.findtext("description") or "" for e in document)
    check(ok, "%s: not the spec's error list of %d: %s" % (where, code, body[:300]))
    if text:
        check(text in descriptions, "%s: the error does not mention %r: %s" % (where, text, descriptions))
    check("WWW-Authenticate" not in headers, where + ": no WWW-Authenticate (not 401)")


def w3(value, where, nullable=False):
    if value is None:
        return check(nullable, where + ": null")
    return check(isinstance(value, str) and W3.match(value), "%s: not a w3 date-time: %r" % (where, value))


# --- discovery ------------------------------------------------------------------------------
discovery = both("/open311/discovery", root="discovery")
for field in ("changeset", "contact", "key_service", "endpoints"):
    check(field in discovery, "discovery: " + field)
w3(discovery.get("changeset"), "discovery.changeset")
endpoint = (discovery.get("endpoints") or [{}])[0]
check(endpoint.get("specification") == "http://wiki.open311.org/GeoReport_v2", "discovery: specification")
check(endpoint.get("url", "").endswith("/open311/v2"), "discovery: url %r" % endpoint.get("url"))
check(endpoint.get("type") in ("production", "test"), "discovery: type")
check(sorted(endpoint.get("formats", [])) == ["application/json", "text/xml"], "discovery: formats")
w3(endpoint.get("changeset"), "discovery.endpoints.changeset")

# --- services: public, both formats, with and without a key ---------------------------------------
services = both("/open311/v2/services", {"jurisdiction_id": JURISDICTION}, "services", "service")
check(isinstance(services, list) and len(services) >= 2, "services: a list of the catalogue")
by_code = {}
for service in services:
    for field, kind in (("service_code", str), ("service_name", str), ("description", str), ("metadata", bool),
                        ("type", str), ("keywords", str), ("group", str)):
        check(isinstance(service.get(field), kind), "service %s: %s is %s" % (service.get("service_code"), field,
                                                                          kind.__name__))
    check(service.get("type") in ("realtime", "batch", "blackbox"), "service: type")
    by_code[service.get("service_code")] = service
check(by_code.get(SERVICE, {}).get("metadata") is True, "services: metadata true where there are attributes")
check(by_code.get(OTHER_SERVICE, {}).get("metadata") is False, "services: metadata false where there are none")
status, _, _ = http("GET", "/open311/v2/services.json", {"api_key": KEY})
check(status == 200, "services with a valid api_key: %d" % status)
status, _, _ = http("GET", "/open311/v2/services.json", headers={"X-API-Key": KEY})
check(status == 200, "services with X-API-Key: %d" % status)
for fmt in ("json", "xml"):
    status, headers, body = http("GET", "/open311/v2/services." + fmt, {"api_key": "sfk_000000000000_nope"})
    error_list(status, headers, body, fmt, 403, "services with a wrong api_key (%s)" % fmt, "api_key")
    status, headers, body = http("GET", "/open311/v2/services." + fmt, {"jurisdiction_id": "elsewhere"})
    error_list(status, headers, body, fmt, 404, "services of another jurisdiction (%s)" % fmt, "jurisdiction_id")

# --- service definitions -----------------------------------------------------------------------
definition = both("/open311/v2/services/" + SERVICE, None, "service_definition")
check(definition.get("service_code") == SERVICE, "definition: service_code")
attributes = definition.get("attributes")
check(isinstance(attributes, list) and len(attributes) == 1, "definition: attributes")
for attribute in attributes or []:
    for field, kind in (("variable", bool), ("code", str), ("datatype", str), ("required", bool), ("order", int),
                        ("description", str)):
        check(isinstance(attribute.get(field), kind), "attribute: %s is %s" % (field, kind.__name__))
    check(attribute.get("datatype") in ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"),
          "attribute: datatype")
    if attribute.get("datatype") in ("singlevaluelist", "multivaluelist"):
        values = attribute.get("values")
        check([v.get("name") for v in values or []] == MATERIALS, "attribute: its values are the materials")
        check(all(isinstance(v.get("key"), str) for v in values or []), "attribute: value keys are strings")
empty = both("/open311/v2/services/" + OTHER_SERVICE, None, "service_definition")
check(empty.get("attributes") == [], "definition without attributes: an empty list")
for fmt in ("json", "xml"):
    status, headers, body = http("GET", "/open311/v2/services/no-such-service." + fmt)
    error_list(status, headers, body, fmt, 404, "an unknown service's definition (%s)" % fmt)

# --- submitting -------------------------------------------------------------------------------------
def submit(fmt, form, query=None, expect=201, code=None, text=None):
    status, headers, body = http("POST", "/open311/v2/requests." + fmt, query, form)
    where = "POST requests.%s %s" % (fmt, sorted(k for k in form))
    if code:
        error_list(status, headers, body, fmt, code, where, text)
        return None
    check(status == expect, "%s: %d %s" % (where, status, body[:300]))
    if fmt == "json":
        created = json.loads(body)
        created = created[0] if isinstance(created, list) and created else {}
    else:
        document = ET.fromstring(body.encode("utf-8"))
        check(document.tag == "service_requests" and len(document) == 1 and document[0].tag == "request",
              where + ": <service_requests><request>")
        created = {child.tag: child.text for child in document[0]}
    check(isinstance(created.get("service_request_id"), str) and created["service_request_id"].isdigit(),
          where + ": service_request_id")
    check("token" not in created, where + ": no token when the id is known at once")
    return created.get("service_request_id")


base = {"api_key": KEY, "service_code": SERVICE, "jurisdiction_id": JURISDICTION}
for fmt in ("json", "xml"):
    submit(fmt, {"service_code": SERVICE, "lat": ZONE_LAT, "long": ZONE_LON}, code=403, text="api_key")
    submit(fmt, dict(base, api_key="sfk_000000000000_nope", lat=ZONE_LAT, long=ZONE_LON), code=403, text="api_key")
    submit(fmt, dict(base, description="no place"), code=400, text="location")
    submit(fmt, {"api_key": KEY, "lat": ZONE_LAT, "long": ZONE_LON}, code=400, text="service_code")
    submit(fmt, dict(base, lat=ZONE_LAT + 1, long=ZONE_LON), code=400, text="outside the district")
    submit(fmt, dict(base, lat=ZONE_LAT), code=400, text="long")
    submit(fmt, dict(base, address_string="nowhere street 1"), code=400, text="address_string")
    submit(fmt, dict(base, lat=ZONE_LAT, long=ZONE_LON, **{"attribute[colour]": "red"}), code=400, text="colour")
    submit(fmt, dict(base, lat=ZONE_LAT, long=ZONE_LON, **{"attribute[materials][]": "99"}), code=400,
           text="99")
    submit(fmt, dict(base, lat=ZONE_LAT, long=ZONE_LON), query={"jurisdiction_id": "elsewhere"}, code=404,
           text="jurisdiction_id")
    submit(fmt, dict(base, service_code="no-such-service", lat=ZONE_LAT, long=ZONE_LON), code=400,
           text="service_code")

# A point a little off the zone's centroid, an address, a household; the
# key as api_key in the form, in the query string and as a header.
by_point = submit("xml", dict(base, lat=ZONE_LAT + 0.0004, long=ZONE_LON - 0.0004, description="A street lamp is out",
                              first_name="Wei", last_name="Wang", account_id="fms-17",
                              **{"attribute[materials][]": "1"}))
status, headers, body = http("POST", "/open311/v2/requests.json", {"api_key": KEY, "jurisdiction_id": JURISDICTION},
                             {"service_code": SERVICE, "address_string": BUILDING + "2单元301户",
                              "description": "The stairwell light flickers", "email": "li@example.org",
                              "first_name": "Li", "last_name": "", "media_url": "http://example.org/1.jpg"})
check(status == 201, "POST with the key in the query string: %d %s" % (status, body[:200]))
by_address = json.loads(body)[0].get("service_request_id") if status == 201 else None
status, headers, body = http("POST", "/open311/v2/requests.json", None,
                             {"service_code": OTHER_SERVICE, "address_id": HOUSEHOLD},
                             headers={"Authorization": "Bearer " + KEY})
check(status == 201, "POST by household with the key as a header: %d %s" % (status, body[:200]))
by_household = json.loads(body)[0].get("service_request_id") if status == 201 else None

# --- a request, each field -------------------------------------------------------------------------
REQUEST_FIELDS = {
    "service_request_id": (str, False), "status": (str, False), "status_notes": (str, True),
    "service_name": (str, False), "service_code": (str, False), "description": (str, False),
    "agency_responsible": (str, True), "service_notice": (str, True), "requested_datetime": ("w3", False),
    "updated_datetime": ("w3", False), "expected_datetime": ("w3", True), "address": (str, True),
    "address_id": (str, True), "zipcode": (str, True), "lat": (float, True), "long": (float, True),
    "media_url": (str, True),
}


def check_request(request, where):
    check(set(request) == set(REQUEST_FIELDS), "%s: fields %s" % (where, sorted(request)))
    for field, (kind, nullable) in REQUEST_FIELDS.items():
        value = request.get(field)
        if kind == "w3":
            w3(value, "%s.%s" % (where, field), nullable)
        elif value is None:
            check(nullable, "%s.%s: null" % (where, field))
        elif kind is float:
            check(isinstance(value, (int, float)) and not isinstance(value, bool), "%s.%s: number" % (where, field))
        else:
            check(isinstance(value, kind), "%s.%s: %s" % (where, field, kind.__name__))
    check(request.get("status") in ("open", "closed"), where + ": status")


def one(request_id):
    listed = both("/open311/v2/requests/" + request_id, None, "service_requests", "request")
    check(len(listed) == 1, "requests/%s: one" % request_id)
    return listed[0] if listed else {}


for request_id in (by_point, by_address, by_household):
    if not check(request_id, "each submission gave an id"):
        continue
    request = one(request_id)
    check_request(request, "request " + request_id)
    check(request.get("service_request_id") == request_id, "request: its id")
    check(request.get("status") == "open", "request: open")
    check(request.get("status_notes") == "received, awaiting acceptance by " + COMMUNITY,
          "request: status_notes says where an open request stands: %r" % request.get("status_notes"))
    check(request.get("address") == ZONE_ADDRESS, "request: address is the zone's names: %r" % request.get("address"))
    check(request.get("address_id") == ZONE, "request: address_id is the zone: %r" % request.get("address_id"))
    check(abs(request.get("lat", 0) - ZONE_LAT) < 1e-9 and abs(request.get("long", 0) - ZONE_LON) < 1e-9,
          "request: the zone's centroid, not the point given")
    check(HOUSEHOLD not in json.dumps(request, ensure_ascii=False) and BUILDING not in json.dumps(
        request, ensure_ascii=False).replace(ZONE_ADDRESS, ""), "request: no household or building in public output")
    check(request.get("agency_responsible") == COMMUNITY, "request: agency_responsible is the community station: %r"
          % request.get("agency_responsible"))
    check("Wang" not in json.dumps(request), "request: no requester's name")
point = one(by_point) if by_point else {}
check(point.get("description") == "A street lamp is out\nMaterials ready: " + MATERIALS[0],
      "request: the description and the materials ready: %r" % point.get("description"))
check(point.get("service_code") == SERVICE, "request: service_code")

def rest(method, path, body=None):
    """intake's own REST route, as the staff see the case."""
    request = urllib.request.Request(BASE + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer " + STAFF_KEY,
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as error:
        check(False, "%s %s: %d %s" % (method, path, error.code, error.read()[:200]))
        return {}


def w3_of(unix_ms):
    import datetime
    moment = datetime.datetime.fromtimestamp(int(unix_ms) // 1000, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# The times are the case's: received, its latest step, its due time.
if by_point:
    history = rest("GET", "/v1/intake/cases/%s/history" % by_point)
    current, steps = history.get("current", {}), history.get("transitions", [])
    request = one(by_point)
    check(request.get("requested_datetime") == w3_of(current.get("received_unix_ms", 0)), "requested_datetime")
    check(steps and request.get("updated_datetime") == w3_of(steps[-1].get("at_unix_ms", 0)),
          "updated_datetime is the latest step's time")
    check(request.get("expected_datetime") == w3_of(current.get("due_unix_ms", 0)),
          "expected_datetime is the due time: %r" % request.get("expected_datetime"))

# The case's steps show: updated_datetime moves, status_notes says why.
if by_address:
    before = one(by_address)
    time.sleep(1.1)   # date-times are to the second
    staff_view = rest("GET", "/v1/intake/cases/%s" % by_address)
    check(staff_view.get("requester", {}).get("name") == "Li" and staff_view.get("unit_code") == ZONE,
          "the staff see the requester as named (an empty last_name adds nothing) and the zone: %r"
          % staff_view.get("requester"))
    rest("POST", "/v1/intake/cases/%s/reject" % by_address, {"reason": "Reported to the property company"})
    steps = rest("GET", "/v1/intake/cases/%s/history" % by_address).get("transitions", [])
    after = one(by_address)
    check(after.get("status") == "closed", "a rejected request is closed")
    check(after.get("status_notes") == "Reported to the property company", "status_notes: %r" %
          after.get("status_notes"))
    check(steps and after.get("updated_datetime") == w3_of(steps[-1].get("at_unix_ms", 0))
          and after.get("updated_datetime") > before.get("updated_datetime", ""),
          "updated_datetime moves with the steps: %r -> %r" % (before.get("updated_datetime"),
                                                               after.get("updated_datetime")))
    check(after.get("expected_datetime") is None, "a closed request expects nothing")

# --- tokens ----------------------------------------------------------------------------------------
if by_point:
    tokens = both("/open311/v2/tokens/" + by_point, None, "service_requests", "request")
    check(tokens == [{"service_request_id": by_point, "token": by_point}], "tokens: %r" % tokens)
for fmt in ("json", "xml"):
    status, headers, body = http("GET", "/open311/v2/tokens/999999999." + fmt)
    error_list(status, headers, body, fmt, 404, "an unknown token (%s)" % fmt)
    status, headers, body = http("GET", "/open311/v2/requests/999999999." + fmt)
    error_list(status, headers, body, fmt, 404, "an unknown request (%s)" % fmt)

# --- GET requests: every filter and its comma form -----------------------------------------------
def ids(query):
    listed = both("/open311/v2/requests", query, "service_requests", "request")
    for request in listed:
        check_request(request, "requests %s" % query)
    times = [r.get("requested_datetime") for r in listed]
    check(times == sorted(times, reverse=True), "requests %s: newest first" % query)
    return [r.get("service_request_id") for r in listed]


everything = ids({})
mine = {by_point, by_address, by_household}
check(mine <= set(everything), "requests: the last 90 days hold today's")
check(set(ids({"status": "open"})) & mine == {by_point, by_household}, "status=open")
check(set(ids({"status": "closed"})) & mine == {by_address}, "status=closed")
check(set(ids({"status": "open,closed"})) & mine == mine, "status=open,closed")
check(set(ids({"service_code": SERVICE})) & mine == {by_point, by_address}, "service_code")
check(set(ids({"service_code": SERVICE + "," + OTHER_SERVICE})) & mine == mine, "service_code=a,b")
check(set(ids({"service_code": OTHER_SERVICE, "status": "open"})) & mine == {by_household}, "service_code and status")
check(ids({"service_request_id": "%s,%s,999999999" % (by_point, by_household), "status": "closed"})
      == [by_household, by_point], "service_request_id=a,b overrides the rest, newest first")
today = (one(by_point) if by_point else {}).get("requested_datetime", "2026-01-01T00:00:00Z")
day = today[:10]
check(set(ids({"start_date": day + "T00:00:00Z"})) >= mine, "start_date alone")
check(set(ids({"end_date": day + "T23:59:59Z"})) >= mine, "end_date alone")
check(set(ids({"start_date": day + "T00:00:00+08:00", "end_date": day + "T23:59:59-08:00"})) >= mine,
      "start_date and end_date with offsets")
check(not set(ids({"end_date": "2020-01-01T00:00:00Z"})) & mine, "end_date in the past: none of today's")
check(not set(ids({"start_date": "2020-01-01T00:00:00Z"})) & mine, "start_date long ago: its 90 days only")
status, headers, body = http("GET", "/open311/v2/requests.json?start_date=" + day + "T00:00:00+08:00")
check(status == 200, "an offset's + sent unescaped: %d %s" % (status, body[:200]))
for fmt in ("json", "xml"):
    for query, text in (({"status": "pending"}, "status"), ({"start_date": "yesterday"}, "start_date"),
                        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
                        ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date")):
        status, headers, body = http("GET", "/open311/v2/requests." + fmt, query)
        error_list(status, headers, body, fmt, 400, "requests %s (%s)" % (query, fmt), text)
    status, headers, body = http("GET", "/open311/v2/requests." + fmt, {"api_key": "sfk_000000000000_nope"})
    error_list(status, headers, body, fmt, 403, "requests with a wrong api_key (%s)" % fmt, "api_key")
    status, headers, body = http("GET", "/open311/v2/nothing." + fmt)
    error_list(status, headers, body, fmt, 404, "an unknown resource (%s)" % fmt)
status, headers, body = http("GET", "/open311/v2/services.csv")
error_list(status, headers, body, "json", 404, "an unknown format")
status, headers, body = http("DELETE", "/open311/v2/requests.json")
error_list(status, headers, body, "json", 405, "DELETE requests")

# Every read says the same with a key as without: public data either way.
for path in ("/open311/discovery", "/open311/v2/services", "/open311/v2/services/" + SERVICE, "/open311/v2/requests",
             "/open311/v2/requests/%s" % by_point, "/open311/v2/tokens/%s" % by_point):
    for fmt in ("json", "xml"):
        without = http("GET", path + "." + fmt)
        keyed = http("GET", path + "." + fmt, {"api_key": KEY})
        check(without[0] == keyed[0] == 200 and without[2] == keyed[2],
              "%s.%s: the same with a key (%d) as without (%d)" % (path, fmt, keyed[0], without[0]))

# A key's rate limit used up: 429 in the spec's list, with Retry-After.
for fmt in ("json", "xml"):
    for _ in range(10):   # the burst, and whatever refilled meanwhile
        status, headers, body = http("GET", "/open311/v2/services." + fmt, {"api_key": SLOW_KEY})
        if status != 200:
            break
    error_list(status, headers, body, fmt, 429, "a key over its rate (%s)" % fmt, "rate")
    check(headers.get("Retry-After", "").isdigit(), "429 (%s) says when to retry" % fmt)

for failure in failures:
    print("FAIL:", failure)
print("open311 conformance: %d failures" % len(failures))
sys.exit(1 if failures else 0)
