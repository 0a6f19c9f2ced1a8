"""Issue 13 item 8 in headless Chromium: a tablet pairs through the form, a clerk signs in,
a prompt appears and is marked done with that clerk's staff id; a browser that is not
paired sees the pairing form only (no name in its DOM, the stream 401); a revoked tablet
falls back to the form. Screenshots: store-device-pair-*.png, store-device-paired-zh-CN.png
(tests/support/artefacts.py)."""

from pathlib import Path
from typing import Any

from edge.store_locale import StoreLocale
from tests.edge.store_page_support import (
    CLERK_PIN,
    clerk,
    clerk_browser,
    make_prompt,
    serve_page,
    wait_until,
)
from tests.support.artefacts import artefact_path

NAME = "王*"


def _status(page: Any, path: str) -> int:
    """What the page's own origin gets for `path` (the browser sends its cookie, if any)."""
    status: int = page.evaluate("async (p) => (await fetch(p)).status", path)
    return status


def test_pair_sign_in_and_mark_a_prompt_done_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with serve_page(tmp_path, clerks=[clerk("S07")], recheck_s=0.3) as served:
        served.bus.publish(make_prompt(NAME))
        with clerk_browser() as page:
            page.goto(served.url)
            form = page.get_by_test_id("pair-form")
            expect(form).to_contain_text("配对此设备")
            assert NAME not in page.content() and page.get_by_test_id("prompt").count() == 0
            assert _status(page, "/prompts/stream") == 401
            assert _status(page, "/prompts/recent") == 401
            page.screenshot(path=str(artefact_path("store-device-pair-zh-CN.png")))

            page.get_by_test_id("pair-code").fill("1234 5678")
            form.get_by_role("button", name="配对").click()
            expect(page.get_by_test_id("pair-error")).to_have_text("配对码错误、已过期或已使用")
            code = served.code("收银台 1")
            page.get_by_test_id("pair-code").fill(f"{code[:4]} {code[4:]}")
            form.get_by_role("button", name="配对").click()

            expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
            expect(page.get_by_test_id("device-name")).to_have_text("设备：收银台 1")
            card = page.get_by_test_id("prompt").filter(has_text=NAME)
            expect(card).to_have_count(1)  # the kept prompt, now that the device is paired
            card.get_by_role("button", name="完成").click()
            expect(card.locator('[data-field="state"]')).to_have_text("! 请先登录店员")
            assert served.acted.calls == []

            page.get_by_test_id("clerk-select").select_option("S07")
            page.get_by_test_id("clerk-pin").fill("0000")
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_test_id("sign-in-error")).to_have_text("店员或密码错误")
            page.get_by_test_id("clerk-pin").fill(CLERK_PIN)
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_test_id("clerk-name")).to_have_text("店员：张敏")

            card = page.get_by_test_id("prompt").filter(has_text=NAME)
            card.get_by_role("button", name="完成").click()
            expect(card).to_have_attribute("data-state", "done")
            assert served.acted.calls == [(served.bus.recent()[0][0].prompt_id, "done", "S07")]
            cookie = next(c for c in page.context.cookies() if c["name"] == "storepulse_device")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            page.screenshot(path=str(artefact_path("store-device-paired-zh-CN.png")))

            [device] = served.registry.all()
            assert served.registry.revoke(device.device_id)
            expect(page.get_by_test_id("pair-form")).to_be_visible(timeout=15_000)
            assert NAME not in page.content()
            assert _status(page, "/prompts/stream") == 401


def test_an_unpaired_browser_sees_no_prompt_even_when_one_is_published(tmp_path: Path) -> None:
    """English pairing page; a prompt published while it is open never reaches it."""
    from playwright.sync_api import expect

    with serve_page(tmp_path, StoreLocale("en")) as served, clerk_browser() as page:
        page.goto(served.url)
        expect(page.get_by_test_id("pair-form")).to_contain_text("Pair this device")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        served.bus.publish(make_prompt("Li *", store_locale=StoreLocale("en")))
        wait_until(lambda: len(served.bus.recent()) == 1)
        assert _status(page, "/prompts/stream") == 401
        assert "Li *" not in page.content()
        page.get_by_test_id("pair-code").fill("00000000")
        page.get_by_role("button", name="Pair").click()
        expect(page.get_by_test_id("pair-error")).to_have_text(
            "That code is wrong, expired or already used"
        )
        page.screenshot(path=str(artefact_path("store-device-pair-en.png")))
