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
    "page.services": "本次服务（点击记录）",
    "page.due": "（截止 {time}）",
    "page.badge.not_yet_member": "未入会",
    "page.known_at": "其他门店顾客：{store}",
    "page.known_at_bought": "其他门店顾客：{store}（在该店购买 {count} 次）",
    "page.button.done": "完成",
    "page.button.dismiss": "忽略",
    "page.acted.done": "✓ 已完成",
    "page.acted.dismissed": "— 已忽略",
    "page.retry": "! 未记录，请重试（{error}）",
    "page.pair.title": "配对此设备",
    "page.pair.intro": (
        "此设备尚未与网关配对。请店长在网关上运行 storepulse edge pair-device，"
        "并在此输入显示的配对码（仅需一次）。"
    ),
    "page.pair.code": "配对码",
    "page.pair.submit": "配对",
    "page.pair.invalid": "配对码错误、已过期或已使用",
    "page.pair.rate_limited": "尝试次数过多，请几分钟后再试",
    "page.pair.failed": "配对失败（{error}）",
    "page.device": "设备：{name}",
    "page.clerk.choose": "选择店员",
    "page.clerk.pin": "密码",
    "page.clerk.sign_in": "登录",
    "page.clerk.sign_out": "退出",
    "page.clerk.signed_in": "店员：{name}",
    "page.clerk.wrong_pin": "店员或密码错误",
    "page.clerk.locked": "密码错误次数过多，请 5 分钟后再试",
    "page.clerk.sign_in_first": "! 请先登录店员",
    "page.unpaired": "! 此设备已被取消配对，请重新配对",
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
    "page.services": "Services given (tap to log)",
    "page.open_tasks": "Open tasks",
    "page.offers": "Offer",
    "page.due": "(due {time})",
    "page.badge.not_yet_member": "Not yet a member",
    "page.known_at": "Known at {store}",
    "page.known_at_bought": "Known at {store} (bought {count}× there)",
    "page.button.done": "Done",
    "page.button.dismiss": "Dismiss",
    "page.acted.done": "✓ Done",
    "page.acted.dismissed": "— Dismissed",
    "page.retry": "! Not recorded, try again ({error})",
    "page.pair.title": "Pair this device",
    "page.pair.intro": (
        "This device is not paired with the gateway. Ask the store manager to run "
        "storepulse edge pair-device on the gateway and enter the code it shows here (once)."
    ),
    "page.pair.code": "Pairing code",
    "page.pair.submit": "Pair",
    "page.pair.invalid": "That code is wrong, expired or already used",
    "page.pair.rate_limited": "Too many tries; wait a few minutes",
    "page.pair.failed": "Pairing failed ({error})",
    "page.device": "Device: {name}",
    "page.clerk.choose": "Choose clerk",
    "page.clerk.pin": "PIN",
    "page.clerk.sign_in": "Sign in",
    "page.clerk.sign_out": "Sign out",
    "page.clerk.signed_in": "Clerk: {name}",
    "page.clerk.wrong_pin": "Wrong clerk or PIN",
    "page.clerk.locked": "Too many wrong PINs; try again in 5 minutes",
    "page.clerk.sign_in_first": "! Sign in as a clerk first",
    "page.unpaired": "! This device was unpaired; pair it again",
}

CATALOGUES: dict[Locale, dict[str, str]] = {"zh-CN": ZH_CN, "en": EN}
