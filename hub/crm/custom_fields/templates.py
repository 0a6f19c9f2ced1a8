"""The two templates that ship: what a pharmacy and a veterinary-drug distributor keep
about their customers beyond the common fields. Applying one adds its fields (those not
there yet); the tenant can add, relabel or retire any of them afterwards."""

from hub.crm.custom_fields.definitions import FieldDraft

PHARMACY: tuple[FieldDraft, ...] = (
    FieldDraft(
        name="chronic_conditions",
        label_zh_cn="慢性病",
        label_en="Chronic conditions",
        type="multi_choice",
        choices=["高血压", "糖尿病", "高血脂", "冠心病", "哮喘", "慢阻肺"],
    ),
    FieldDraft(
        name="insurance",
        label_zh_cn="医保类型",
        label_en="Insurance",
        type="choice",
        choices=["城镇职工医保", "城乡居民医保", "商业保险", "自费"],
    ),
)

DISTRIBUTOR: tuple[FieldDraft, ...] = (
    FieldDraft(
        name="farm_size", label_zh_cn="养殖规模（头）", label_en="Farm size (head)", type="number"
    ),
    FieldDraft(
        name="breed",
        label_zh_cn="养殖品种",
        label_en="Breed",
        type="multi_choice",
        choices=["生猪", "肉牛", "奶牛", "羊", "禽", "水产", "宠物"],
    ),
    FieldDraft(
        name="medication_history", label_zh_cn="用药史", label_en="Medication history", type="text"
    ),
    FieldDraft(
        name="payment_terms",
        label_zh_cn="账期",
        label_en="Payment terms",
        type="choice",
        choices=["现结", "月结", "季结"],
    ),
    FieldDraft(name="decision_maker", label_zh_cn="决策人", label_en="Decision-maker", type="text"),
)

TEMPLATES = {"pharmacy": PHARMACY, "distributor": DISTRIBUTOR}
