"""The pages as served: store.html (a paired device) or pair.html (any other browser), with
the store's locale and page strings filled in.

The strings go in as JSON inside a `<script type="application/json">` block, so the page
needs no second request (and no network beyond the gateway) before it can label
anything; `<` is escaped so no string can end the block. The clerk page's block also
carries the device's CSRF token, its name and the clerks who may sign in on it, so it is
rendered per request; the pairing page carries only strings.
"""

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from edge.store_locale import StoreLocale

STATIC_DIR = Path(__file__).parent / "static"
PAGE_PREFIX = "page."
# No framing (clickjacking the Done button), scripts only from the gateway, no referrer.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def page_config(store_locale: StoreLocale) -> dict[str, object]:
    """What store.js and pair.js read: the locale, the zone times are shown in, strings."""
    messages = {k: v for k, v in store_locale.messages.items() if k.startswith(PAGE_PREFIX)}
    return {
        "locale": store_locale.locale,
        "time_zone": store_locale.time_zone,
        "messages": messages,
    }


@cache
def _template(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def _render(name: str, store_locale: StoreLocale, config: Mapping[str, object]) -> str:
    blob = json.dumps(dict(config), ensure_ascii=False).replace("<", "\\u003c")
    html = _template(name)
    return html.replace("{{lang}}", store_locale.locale).replace("{{page_config}}", blob)


def render_clerk_page(store_locale: StoreLocale, session: Mapping[str, object]) -> str:
    """The prompts page for a paired device; `session` (csrf_token, device, clerks, clerk)
    joins the strings in the page's config block."""
    return _render("store.html", store_locale, {**page_config(store_locale), **session})


def render_pairing_page(store_locale: StoreLocale) -> str:
    return _render("pair.html", store_locale, page_config(store_locale))
