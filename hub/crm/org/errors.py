"""What the organisation's functions refuse. Out of scope is `hub.errors.NotFound`: a
record the caller may not see does not exist for them."""

from hub.errors import HubError


class OrgError(HubError):
    """Base of the organisation's refusals."""


class Duplicate(OrgError):
    """The id or staff code is taken in the tenant (HTTP 409)."""


class Forbidden(OrgError):
    """The caller sees the record but their role may not make this change (HTTP 403)."""


class Inconsistent(OrgError):
    """Fields that are each valid disagree with each other or with stored rows (HTTP 409),
    e.g. a home store outside the staff member's region."""
