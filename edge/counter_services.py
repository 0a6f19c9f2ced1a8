"""The services a clerk ticks at the counter, one tap each (用药指导, 家属代购, ...).

Each tick becomes a `pos.service_logged` event of the prompt's customer, by the clerk
signed in on the device, so the service is on the customer's record at the hub as a
touchpoint. Four ship by default; `[[store_page.services]]` adds more (or relabels one).
The event carries the service's `type` (stable, for reports); the labels are for the page.
"""

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from edge.catalogue import Locale

ServiceType = str
FAMILY_PURCHASE = "family_purchase"  # 家属代购: may name the household member it was for


class CounterService(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ServiceType = Field(
        pattern=r"^[a-z][a-z0-9_]{0,47}$",
        description="what the hub records, e.g. 'medication_advice'",
    )
    label_zh_cn: str = Field(min_length=1, max_length=20, description="the button in zh-CN")
    label_en: str = Field(min_length=1, max_length=40, description="the button in English")

    def label(self, locale: Locale) -> str:
        return self.label_zh_cn if locale == "zh-CN" else self.label_en


DEFAULT_SERVICES: tuple[CounterService, ...] = (
    CounterService(type="medication_advice", label_zh_cn="用药指导", label_en="Medication advice"),
    CounterService(type=FAMILY_PURCHASE, label_zh_cn="家属代购", label_en="Bought for family"),
    CounterService(type="insurance_help", label_zh_cn="医保协助", label_en="Insurance help"),
    CounterService(type="blood_pressure", label_zh_cn="血压测量", label_en="Blood pressure"),
)


def counter_services(configured: Sequence[CounterService]) -> tuple[CounterService, ...]:
    """The defaults, then the configured ones; a configured type relabels its default."""
    by_type = {service.type: service for service in DEFAULT_SERVICES}
    by_type.update({service.type: service for service in configured})
    return tuple(by_type.values())


def page_services(services: Sequence[CounterService], locale: Locale) -> list[dict[str, str]]:
    """What the page draws: each service's type and its button in the store's locale."""
    return [{"type": s.type, "label": s.label(locale)} for s in services]
