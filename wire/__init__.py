"""The contract that gateways (edge) and the hub speak. Imports only pydantic and stdlib."""

from typing import Final, Literal

SCHEMA_VERSION: Final[Literal[1]] = 1
