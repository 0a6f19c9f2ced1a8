"""Errors of broker provisioning; each names what to fix."""


class ProvisioningError(Exception):
    """A provisioning step failed: bad gateway id, missing tool, unwritable file, no broker."""
