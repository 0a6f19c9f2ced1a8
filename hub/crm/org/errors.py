"""What the organisation's functions refuse. Out of scope is `hub.errors.NotFound`: a
record the caller may not see does not exist for them. A record in scope that the role may
not change is `hub.errors.Forbidden` (403)."""

from hub.errors import Forbidden, HubError

__all__ = ["Duplicate", "Forbidden", "Inconsistent", "OrgError"]


class OrgError(HubError):
    """Base of the organisation's refusals."""


class Duplicate(OrgError):
    """The id or staff code is taken in the tenant (HTTP 409)."""


class Inconsistent(OrgError):
    """Fields that are each valid disagree with each other or with stored rows (HTTP 409),
    e.g. a home store outside the staff member's region."""


__all__ = ["Duplicate", "Forbidden", "Inconsistent", "OrgError"]  # Forbidden: hub.errors' (403)
