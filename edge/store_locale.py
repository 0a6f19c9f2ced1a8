"""What the clerk reads is in one locale and the store's time zone (`[store_page]` config).

`StoreLocale` holds names only, so building one reads nothing; the config checks the zone
exists when the gateway starts (`zone_named`). Times are shown 24-hour as
`YYYY-MM-DD HH:MM` in every locale: clerks in a Chinese store read them that way, and it
is unambiguous in English too.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from edge.catalogue import CATALOGUES, DEFAULT_LOCALE, Locale

DEFAULT_TIME_ZONE = "Asia/Shanghai"
LOCAL_TIME_FORMAT = "%Y-%m-%d %H:%M"


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone of that name (from the system's database, else the tzdata package)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}; give an IANA name such as 'Asia/Shanghai'"
        ) from exc


@dataclass(frozen=True)
class StoreLocale:
    locale: Locale = DEFAULT_LOCALE
    time_zone: str = DEFAULT_TIME_ZONE

    @property
    def messages(self) -> Mapping[str, str]:
        return CATALOGUES[self.locale]

    def text(self, key: str, **values: str) -> str:
        """The catalogue's text for `key`, its `{name}` fields filled from `values`."""
        return self.messages[key].format(**values)

    def local_time(self, at: datetime) -> str:
        """An aware time as the store's clock shows it: '2026-12-02 15:18'."""
        return at.astimezone(zone_named(self.time_zone)).strftime(LOCAL_TIME_FORMAT)


DEFAULT_STORE_LOCALE = StoreLocale()
