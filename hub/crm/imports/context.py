"""What every row of one import batch is applied with, and how a row fails."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hub.auth.scope import Scope
from hub.crm.imports.rows import Problem
from hub.crm.imports.stores import StoreBook
from hub.crm.leads.config import ScoreWeights
from hub.db.models import CustomField


@dataclass(frozen=True)
class FileRow:
    number: int  # in the file; the header is row 1
    cells: dict[str, str]  # standard field -> its cell, as text
    custom: dict[str, str]  # custom field name -> its cell, non-empty ones only


@dataclass(frozen=True)
class Keys:
    """The tenant's key for hashing phones, and the lead scores' weights."""

    tenant_key: bytes
    weights: ScoreWeights


@dataclass(frozen=True)
class Batch:
    session: Session
    scope: Scope
    stores: StoreBook
    fields: Sequence[CustomField]  # the tenant's live customer fields
    keys: Keys
    now: datetime


class RowFailed(Exception):
    """The row is not imported; each problem names its field and the reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{f}: {why}" for f, why in problems))
        self.problems = problems
