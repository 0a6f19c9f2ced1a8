"""A client written from the OpenAPI document alone logs in: it finds the OAuth2 password
flow's token URL there, posts the form it describes, and calls a route with the token."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.demo.seed import SeedResult
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import PASSWORD, add_staff, hub_settings


def test_the_declared_password_flow_logs_in_and_the_token_opens_a_declared_route(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    add_staff(sessions, "docs-reader", "store_manager", store_id="store-sh-xuhui")
    with TestClient(build_api(hub_settings(TENANT_KEY), sessions)) as client:
        doc = client.get("/openapi.json").json()
        schemes = doc["components"]["securitySchemes"]
        assert schemes["ApiKey"] == {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": schemes["ApiKey"]["description"],
        }
        flow = schemes["OAuth2"]["flows"]["password"]
        token_url = flow["tokenUrl"]
        assert token_url == "/auth/token"
        form = doc["paths"][token_url]["post"]["requestBody"]["content"]
        assert "application/x-www-form-urlencoded" in form
        operation = doc["paths"]["/customers/{customer_id}"]["get"]
        assert {"OAuth2": []} in operation["security"] and {"ApiKey": []} in operation["security"]

        answer = client.post(token_url, data={"username": "docs-reader", "password": PASSWORD})
        assert answer.status_code == 200
        token = answer.json()
        assert token["token_type"] == "bearer"
        headers = {"Authorization": f"{token['token_type'].title()} {token['access_token']}"}
        view = client.get("/customers/cus-demo-01", headers=headers)
        assert view.status_code == 200 and view.json()["profile"]["id"] == "cus-demo-01"
