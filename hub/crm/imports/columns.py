"""Header cells -> the fields they fill. Each standard field has Chinese and English names
(姓名/name, 手机/phone, 邮箱/email, 会员号/member_no, 门店/store …); a custom field is named
by its name or either label. A header nobody knows is ignored and said so in the report."""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from hub.db.models import CustomField

Kind = Literal["customers", "leads"]
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full_name", "customer_name", "姓名", "名字", "客户姓名", "客户名称"),
    "phone": (
        "phone",
        "mobile",
        "tel",
        "phone_number",
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "联系电话",
    ),
    "email": ("email", "e_mail", "mail", "邮箱", "电子邮箱", "邮件"),
    "member_no": ("member_no", "member_number", "member", "会员号", "会员卡号", "会员编号"),
    "store": ("store", "store_id", "门店", "门店编号", "所属门店"),
    "id": ("id", "lead_id", "source_id", "编号", "线索编号"),
    "note": ("note", "notes", "remark", "备注"),
}
FIELDS: dict[Kind, tuple[str, ...]] = {
    "customers": ("name", "phone", "email", "member_no", "store"),
    "leads": ("id", "name", "phone", "email", "store", "note"),
}
IGNORED = "not a column this import knows; ignored"
REPEATED = "a second column for the same field; ignored"


def header_key(text: str) -> str:
    return re.sub(r"[\s\-/]+", "_", text.strip().casefold())


@dataclass(frozen=True)
class Mapping:
    standard: dict[int, str]  # column index -> field name
    custom: dict[int, CustomField]  # column index -> custom field
    notes: list[tuple[int, str]] = field(default_factory=list)  # column index -> why ignored


def map_columns(kind: Kind, header: Sequence[str], custom: Sequence[CustomField]) -> Mapping:
    names = {alias: name for name in FIELDS[kind] for alias in ALIASES[name]}
    fields = {header_key(label): f for f in custom for label in (f.name, f.label_zh_cn, f.label_en)}
    mapping = Mapping({}, {})
    taken: set[str] = set()
    for index, text in enumerate(header):
        key = header_key(text)
        target = names.get(key) or (f"custom:{fields[key].name}" if key in fields else None)
        if target is None:
            mapping.notes.append((index, IGNORED))
        elif target in taken:
            mapping.notes.append((index, REPEATED))
        else:
            taken.add(target)
            if target.startswith("custom:"):
                mapping.custom[index] = fields[key]
            else:
                mapping.standard[index] = target
    return mapping
