"""The `[leads]` section of the hub settings: WeCom's callback secrets, the keyword rules
that turn a WeCom message into a tagged lead, and the score's weights. Data only: the
rules and the scorer read it, so changing a weight is an edit of the file, not of code."""

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class KeywordRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    keyword: str = Field(min_length=1, max_length=50, description="found anywhere in the text")
    tags: tuple[str, ...] = Field(min_length=1, description="the lead's tags when it is found")


class WecomCallback(BaseModel):
    """What the WeCom admin console shows for the app's callback ("接收消息")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: str = Field(min_length=1, max_length=64, description="whose leads they are")
    corp_id: str = Field(min_length=1, max_length=64, description="the receiveid checked")
    token: SecretStr = Field(description="the callback Token, for msg_signature")
    encoding_aes_key: SecretStr = Field(description="43 characters: base64 of the AES key")
    store_id: str | None = Field(default=None, description="the store its leads belong to")

    @field_validator("encoding_aes_key")
    @classmethod
    def _is_43_chars(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) != 43:
            raise ValueError("must be the 43 characters WeCom shows")
        return value


class ScoreWeights(BaseModel):
    """Points per contribution; the total is clamped to 0..100 (hub/crm/leads/scoring.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: dict[str, float] = Field(
        default_factory=lambda: {
            "web_form": 20.0,
            "phone_call": 25.0,
            "wecom": 30.0,
            "gateway": 15.0,
        }
    )
    other_source: float = 10
    # A touchpoint's points when it happens; halved every `half_life_days` after.
    behaviour: dict[str, float] = Field(
        default_factory=lambda: {"visit": 4.0, "checkout": 8.0, "service": 6.0, "lead": 5.0}
    )
    behaviour_cap: float = Field(default=40, ge=0)
    half_life_days: float = Field(default=14, gt=0)
    has_phone: float = 10
    has_name: float = 5
    member: float = 5  # an enrolled customer, not a provisional one
    per_tag: float = 5
    tags_cap: float = Field(default=15, ge=0)


DEFAULT_KEYWORDS = (
    KeywordRule(keyword="血压计", tags=("血压计", "器械")),
    KeywordRule(keyword="降压药", tags=("health:降压药", "慢病")),
)


class LeadSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    keywords: tuple[KeywordRule, ...] = DEFAULT_KEYWORDS
    weights: ScoreWeights = Field(default_factory=ScoreWeights)
    decay_every_minutes: float = Field(
        default=60, gt=0, description="how often leads scored this long ago are scored again"
    )
    decay_batch: int = Field(default=1000, ge=1, description="leads scored again per turn")
    wecom: WecomCallback | None = Field(
        default=None, description="unset: the WeCom callback answers 404"
    )
