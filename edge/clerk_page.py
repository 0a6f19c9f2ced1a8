"""The clerk's page as served: store.html with the store's locale and page strings filled in.

Rendered once when the app is built, so the page needs no second request (and no network
beyond the gateway) before it can label anything. The strings go in as JSON inside a
`<script type="application/json">` block; `<` is escaped so no string can end the block.
"""

import json
from pathlib import Path

from edge.store_locale import StoreLocale

STATIC_DIR = Path(__file__).parent / "static"
PAGE_PREFIX = "page."


def page_config(store_locale: StoreLocale) -> dict[str, object]:
    """What store.js reads: the locale, the zone times are shown in, and its strings."""
    messages = {k: v for k, v in store_locale.messages.items() if k.startswith(PAGE_PREFIX)}
    return {
        "locale": store_locale.locale,
        "time_zone": store_locale.time_zone,
        "messages": messages,
    }


def render_clerk_page(store_locale: StoreLocale) -> str:
    blob = json.dumps(page_config(store_locale), ensure_ascii=False).replace("<", "\\u003c")
    html = (STATIC_DIR / "store.html").read_text(encoding="utf-8")
    return html.replace("{{lang}}", store_locale.locale).replace("{{page_config}}", blob)
