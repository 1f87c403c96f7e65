"""The service as a whole: health, and the OpenAPI document /docs is built from."""

from __future__ import annotations

from tests.http.test_route_access import PROTECTED_ROUTES


async def test_health_answers_200_without_credentials(client):
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_openapi_declares_the_oauth2_password_flow_with_the_token_endpoint(client):
    schema = (await client.get("/openapi.json")).json()

    schemes = schema["components"]["securitySchemes"].values()
    password_flows = [scheme["flows"]["password"] for scheme in schemes if scheme["type"] == "oauth2"]
    assert password_flows
    assert all(flow["tokenUrl"] == "auth/token" for flow in password_flows)


async def test_openapi_marks_every_protected_route_with_the_oauth2_scheme(client):
    # What makes /docs send the token from its Authorize button on these routes.
    paths = (await client.get("/openapi.json")).json()["paths"]

    for route in PROTECTED_ROUTES:
        operation = paths[route.path][route.method.lower()]
        assert operation.get("security"), f"{route.id} has no security requirement"


async def test_openapi_protected_routes_take_no_stray_query_parameters(client):
    # A dependency whose annotations fail to resolve turns into a required query parameter.
    paths = (await client.get("/openapi.json")).json()["paths"]

    for route in PROTECTED_ROUTES:
        parameters = paths[route.path][route.method.lower()].get("parameters", [])
        required_query = [p["name"] for p in parameters if p["in"] == "query" and p.get("required")]
        assert required_query == [], f"{route.id} requires {required_query}"


async def test_docs_page_answers_200(client):
    response = await client.get("/docs")

    assert response.status_code == 200
    assert "swagger" in response.text.lower()


async def test_health_is_not_marked_as_protected(client):
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert not paths["/health"]["get"].get("security")
