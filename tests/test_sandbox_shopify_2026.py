"""The Shopify simulator as the platform is in late 2026 (API 2026-10): token grants, ungrouped bulk output,
several bulk operations at once, protected customer data. Raw HTTP, as a client would see it."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connector.sandbox.shopify import ShopifySim
from connector.sandbox.shopify.auth import query_hmac

RUN = """mutation($q: String!) { bulkOperationRunQuery(query: $q) {
    bulkOperation { id status } userErrors { field message code } } }"""
PRODUCTS_BULK = "{ products { edges { node { id title variants { edges { node { id sku } } } } } } }"


@pytest.fixture
def sim():
    with ShopifySim("Maison 2026", bulk_delay=0.05) as shop:
        shop.seed(products=40, variants=3, customers=6, orders=8, seed=7)
        yield shop


def token_request(sim, **form):
    return requests.post(f"{sim.base_url}/admin/oauth/access_token", data=form, timeout=10)


def graphql(sim, token, query, variables=None):
    return requests.post(
        sim.graphql_url,
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": token},
        timeout=10,
    )


# --- credentials ---------------------------------------------------------------------------------------------


def test_client_credentials_grant_answers_a_token_scope_and_lifetime(sim):
    answer = token_request(
        sim, grant_type="client_credentials", client_id=sim.client_id, client_secret=sim.client_secret
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["access_token"].startswith("shpat_") and body["expires_in"] == 86399
    assert "write_inventory" in body["scope"].split(",")
    assert graphql(sim, body["access_token"], "{ shop { name } }").status_code == 200
    assert sim.stats()["tokens_issued"] == 1


def test_a_wrong_secret_is_refused_with_an_oauth_error_body(sim):
    answer = token_request(sim, grant_type="client_credentials", client_id=sim.client_id, client_secret="shpss_no")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert sim.stats()["tokens_issued"] == 0


def test_the_token_ttl_control_makes_tokens_expire(sim):
    graphql(sim, sim.access_token, "{ shop { name } }")  # the schema is loaded before the clock matters
    assert requests.post(f"{sim.base_url}/__sandbox/auth", json={"token_ttl": 1.0}, timeout=5).ok
    body = token_request(
        sim, grant_type="client_credentials", client_id=sim.client_id, client_secret=sim.client_secret
    ).json()
    assert body["expires_in"] == 1
    assert graphql(sim, body["access_token"], "{ shop { name } }").status_code == 200
    assert sim.stats()["tokens_refused"] == 0
    time.sleep(1.1)
    assert graphql(sim, body["access_token"], "{ shop { name } }").status_code == 401
    assert sim.stats()["tokens_refused"] == 1  # what the demo reports as requests that met an expired token


def authorize(sim, state="s1"):
    """The install URL opened by the merchant; the simulator approves and redirects with a code."""
    response = requests.get(
        f"{sim.base_url}/admin/oauth/authorize",
        params={
            "client_id": sim.client_id,
            "scope": "read_products",
            "redirect_uri": "http://127.0.0.1:9/callback",
            "state": state,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def test_authorization_code_grant_redirects_with_a_signed_query_and_a_single_use_code(sim):
    query = authorize(sim)
    assert query["state"] == "s1" and query["shop"] == sim.shop_domain
    assert query["hmac"] == query_hmac(query, sim.client_secret)
    form = {"client_id": sim.client_id, "client_secret": sim.client_secret, "code": query["code"], "expiring": "1"}
    first = token_request(sim, **form).json()
    assert first["expires_in"] == 3600 and first["refresh_token"].startswith("shprt_")
    again = token_request(sim, **form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_refresh_tokens_rotate_and_the_replaced_one_retires_once_its_successor_is_used(sim):
    query = authorize(sim)
    base = {"client_id": sim.client_id, "client_secret": sim.client_secret}
    pair = token_request(sim, **base, code=query["code"], expiring="1").json()
    refresh = {**base, "grant_type": "refresh_token"}
    second = token_request(sim, **refresh, refresh_token=pair["refresh_token"]).json()
    assert second["refresh_token"] != pair["refresh_token"]
    # A lost answer: the old refresh token still works until its replacement is used.
    retry = token_request(sim, **refresh, refresh_token=pair["refresh_token"])
    assert retry.status_code == 200
    third = token_request(sim, **refresh, refresh_token=second["refresh_token"])
    assert third.status_code == 200
    reused = token_request(sim, **refresh, refresh_token=pair["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}


def test_a_missing_scope_is_access_denied_for_that_field(sim):
    requests.post(f"{sim.base_url}/__sandbox/auth", json={"scopes": "read_products"}, timeout=5)
    body = graphql(sim, sim.access_token, "{ orders(first: 1) { nodes { id } } }").json()
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "read_orders" in body["errors"][0]["message"]
    scopes = graphql(sim, sim.access_token, "{ currentAppInstallation { accessScopes { handle } } }").json()
    assert scopes["data"]["currentAppInstallation"]["accessScopes"] == [{"handle": "read_products"}]


# --- bulk operations -----------------------------------------------------------------------------------------


def run_bulk(sim, query=PRODUCTS_BULK):
    return graphql(sim, sim.access_token, RUN, {"q": query}).json()["data"]["bulkOperationRunQuery"]


def result_lines(sim, operation_id):
    sim.bulk.wait()
    node = graphql(
        sim, sim.access_token, "query($id: ID!) { node(id: $id) { ... on BulkOperation { url } } }", {"id": operation_id}
    ).json()["data"]["node"]
    return [json.loads(line) for line in requests.get(node["url"], timeout=10).text.splitlines()]


def test_bulk_output_is_ungrouped_by_default_children_before_and_far_from_parents(sim):
    lines = result_lines(sim, run_bulk(sim)["bulkOperation"]["id"])
    position = {line["id"]: index for index, line in enumerate(lines)}
    children = [line for line in lines if "__parentId" in line]
    assert len(children) == 120 and len(lines) == 160
    before = sum(position[child["id"]] < position[child["__parentId"]] for child in children)
    far = sum(abs(position[child["id"]] - position[child["__parentId"]]) > 3 for child in children)
    assert before > 20 and far > 60
    again = result_lines(sim, run_bulk(sim)["bulkOperation"]["id"])
    assert sorted(json.dumps(x, sort_keys=True) for x in again) == sorted(json.dumps(x, sort_keys=True) for x in lines)


def test_five_bulk_queries_run_at_once_and_a_sixth_is_limit_reached(sim):
    sim.bulk.delay = 1.0
    started = [run_bulk(sim) for _ in range(5)]
    assert all(s["userErrors"] == [] for s in started)
    sixth = run_bulk(sim)
    assert sixth["bulkOperation"] is None and sixth["userErrors"][0]["code"] == "LIMIT_REACHED"
    running = graphql(
        sim,
        sim.access_token,
        '{ bulkOperations(first: 10, query: "status:running") { nodes { id status query } } }',
    ).json()["data"]["bulkOperations"]["nodes"]
    assert {n["id"] for n in running} == {s["bulkOperation"]["id"] for s in started}
    assert [n["id"] for n in running] == sorted((n["id"] for n in running), key=lambda g: -int(g.rsplit("/", 1)[1]))
    sim.bulk.wait()
    done = graphql(
        sim, sim.access_token, '{ bulkOperations(first: 10, query: "status:completed") { nodes { id } } }'
    ).json()["data"]["bulkOperations"]["nodes"]
    assert len(done) == 5


# --- protected customer data ---------------------------------------------------------------------------------


def test_without_protected_customer_data_personal_fields_are_denied_and_the_rest_answered(sim):
    assert requests.post(
        f"{sim.base_url}/__sandbox/faults", json={"protected_customer_data": False}, timeout=5
    ).json()["protected_customer_data"] is False
    body = graphql(
        sim, sim.access_token, "{ orders(first: 3) { nodes { id name email shippingAddress { city } } } }"
    ).json()
    nodes = body["data"]["orders"]["nodes"]
    assert len(nodes) == 3 and all(n["name"] and n["email"] is None for n in nodes)
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"ACCESS_DENIED"}
    assert {tuple(e["path"][-1:]) for e in body["errors"]} == {("email",), ("shippingAddress",)}
    requests.post(f"{sim.base_url}/__sandbox/faults", json={}, timeout=5)
    restored = graphql(sim, sim.access_token, "{ orders(first: 3) { nodes { id email } } }").json()
    assert "errors" not in restored
