"""Swagger UI's Authorize logs in through the declared OAuth2 password flow, and its
"Try it out" then calls a route with the token: in headless Debian Chromium, offline."""

from sqlalchemy.orm import Session, sessionmaker

from hub.demo.seed import SeedResult
from tests.hub.conftest import TENANT_KEY
from tests.support.artefacts import artefact_path
from tests.support.browser import chromium_page
from tests.support.hub_auth import PASSWORD, add_staff, hub_settings
from tests.support.hub_server import origin, serving


def test_authorize_in_swagger_ui_then_try_a_route(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    from playwright.sync_api import expect

    add_staff(sessions, "swagger-sm", "store_manager", store_id="store-sh-jingan")
    with serving(hub_settings(TENANT_KEY), sessions) as server, chromium_page() as page:
        base = origin(server)
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page.goto(f"{base}/docs")
        page.locator(".btn.authorize").first.click()
        page.locator("#oauth_username").fill("swagger-sm")
        page.locator("#oauth_password").fill(PASSWORD)
        page.locator(".auth-btn-wrapper .btn.modal-btn.authorize").first.click()
        expect(page.locator(".auth-container").first).to_contain_text("Logout", timeout=15_000)
        page.locator(".btn-done").first.click()
        page.locator("#operations-auth-me_auth_me_get .opblock-summary").click()
        page.locator("#operations-auth-me_auth_me_get .try-out__btn").click()
        page.locator("#operations-auth-me_auth_me_get .execute").click()
        body = page.locator("#operations-auth-me_auth_me_get .live-responses-table .microlight")
        expect(body.first).to_contain_text('"role": "store_manager"', timeout=15_000)
        shown = body.first.inner_text()
        page.screenshot(path=str(artefact_path("hub-docs-authorized.png")), full_page=True)
    assert '"store-sh-jingan"' in shown and '"staff_id": "swagger-sm"' in shown
