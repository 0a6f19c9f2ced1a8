"""Shapes of the authentication routes (hub/api/routes/auth.py, api_keys.py)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from hub.auth.grants import Grant
from hub.auth.passwords import MAX_LENGTH, MIN_LENGTH
from hub.crm.org.fields import PRINTABLE


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class TokenOut(_Out):
    access_token: str = Field(description="a JWT; send it as `Authorization: Bearer …`")
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds the access token lives")
    refresh_token: str = Field(description="single use: POST /auth/refresh trades it")
    refresh_expires_at: datetime


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=1, max_length=200)


class MeOut(_Out):
    subject: str = Field(description='"staff:<id>" or "key:<id>"')
    tenant_id: str
    role: str
    staff_id: str | None
    region_ids: list[str] | None = Field(description="null: every region of the tenant")
    store_ids: list[str] | None = Field(description="null: every store; []: none")
    grants: list[str]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$",
        description="case-blind; unique across the hub",
        examples=["s01"],
    )
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, pattern=PRINTABLE, examples=["web form"])
    grants: list[Grant] = Field(min_length=1, max_length=20, examples=[["leads:write"]])


class ApiKeyOut(_Out):
    id: str
    name: str
    hint: str = Field(description="the key's first characters")
    grants: list[str]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="shown this once; only its hash is kept")
