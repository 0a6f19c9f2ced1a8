"""Every string the clerk reads, per locale, as data (`[store_page] locale` picks one).

Keys are the same in every locale (a test checks it). `{name}` marks a value filled in at
use. `prompt.*` and `identifier.*` are composed into prompts at the gateway
(edge/prompts.py); `page.*` are sent to the page, which fills its labels from them
(edge/static/store.js). Data from the hub (names, tags, offers, task titles, products) is
shown as it comes.
"""

from typing import Literal

Locale = Literal["zh-CN", "en"]
DEFAULT_LOCALE: Locale = "zh-CN"

ZH_CN: dict[str, str] = {
    "prompt.title.card.tapped": "会员卡",
    "prompt.title.idcard.read": "证件",
    "prompt.title.pos.checkout": "结账",
    "prompt.title.new_customer": "新顾客 — 推荐办理会员",
    "prompt.title.not_yet_member": "未入会 — 推荐办理会员",
    "prompt.name.new_customer": "新顾客",
    "identifier.card_uid": "卡号",
    "identifier.member_no": "会员号",
    "identifier.id_hash": "证件",
    "identifier.phone_hash": "手机",
    "page.title": "StorePulse 店员提示",
    "page.waiting": "— 等待顾客 —",
    "page.connection.live": "● 在线",
    "page.connection.connecting": "… 连接中",
    "page.connection.reconnecting": "○ 重连中",
    "page.last_purchases": "最近购买",
    "page.open_tasks": "待办",
    "page.offers": "推荐",
    "page.due": "（截止 {time}）",
    "page.badge.not_yet_member": "未入会",
    "page.known_at": "其他门店顾客：{store}",
    "page.button.done": "完成",
    "page.button.dismiss": "忽略",
    "page.acted.done": "✓ 已完成",
    "page.acted.dismissed": "— 已忽略",
    "page.retry": "! 未记录，请重试（{error}）",
}

EN: dict[str, str] = {
    "prompt.title.card.tapped": "Member card",
    "prompt.title.idcard.read": "ID card",
    "prompt.title.pos.checkout": "Checkout",
    "prompt.title.new_customer": "New customer — offer membership",
    "prompt.title.not_yet_member": "Not yet a member — offer membership",
    "prompt.name.new_customer": "New customer",
    "identifier.card_uid": "Card",
    "identifier.member_no": "Member",
    "identifier.id_hash": "ID card",
    "identifier.phone_hash": "Phone",
    "page.title": "StorePulse clerk prompts",
    "page.waiting": "— Waiting for customers —",
    "page.connection.live": "● Live",
    "page.connection.connecting": "… Connecting",
    "page.connection.reconnecting": "○ Reconnecting",
    "page.last_purchases": "Last purchases",
    "page.open_tasks": "Open tasks",
    "page.offers": "Offer",
    "page.due": "(due {time})",
    "page.badge.not_yet_member": "Not yet a member",
    "page.known_at": "Known at {store}",
    "page.button.done": "Done",
    "page.button.dismiss": "Dismiss",
    "page.acted.done": "✓ Done",
    "page.acted.dismissed": "— Dismissed",
    "page.retry": "! Not recorded, try again ({error})",
}

CATALOGUES: dict[Locale, dict[str, str]] = {"zh-CN": ZH_CN, "en": EN}
