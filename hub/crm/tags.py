"""Which customer tags are health data. Tags are free text from the POS and the CRM; a tag
says something about health when it names a condition, a life stage that care follows
(pregnancy, infancy) or a treatment, or when it is written `health:<anything>`. Such tags
help the clerk advise and are shown only to the roles that serve the customer
(hub.auth.masking.SHOWN)."""

HEALTH_PREFIX = "health:"
HEALTH_TAGS = frozenset(
    {
        # conditions
        "高血压", "糖尿病", "高血脂", "慢病", "哮喘", "心脏病", "冠心病", "痛风", "过敏",
        "抑郁", "肿瘤", "肾病", "肝病", "骨质疏松", "关节炎", "失眠",
        # life stages and care
        "孕期", "哺乳期", "母婴", "婴幼儿", "术后", "康复",
        # English forms seen from integrations
        "hypertension", "diabetes", "chronic", "asthma", "heart disease", "allergy",
        "pregnancy", "maternity", "infant",
    }
)  # fmt: skip


def is_health_tag(tag: str) -> bool:
    folded = tag.strip().casefold()
    return folded.startswith(HEALTH_PREFIX) or folded in HEALTH_TAGS
