"""Which detect-secrets detectors match a vendor's token format, and which only guess.

A vendor-token detector matches a format a vendor documents (a prefix, a length, a
structure): a match is almost always a credential, in product code and in tests alike, so
it keeps `high` confidence and blocks everywhere. A generic heuristic (a keyword next to a
quoted value, a high-entropy string, ``user:password@`` in any URL) is right far less often
on real repositories, so it is reported at `low` confidence and blocks only in the paths a
user names in ``scanners.detect-secrets.heuristics-block-in``. A URL with a password for a
database or message broker (``postgres://``, ``mysql://``, ``redis://``...) that is not a
placeholder and not on a local host is a credential, found by the generic ``Basic Auth``
detector: it is promoted to ``credential-url``, which blocks like a vendor token. A
framework's signing key assigned a literal (``SECRET_KEY = "..."``) is ``signing-key``: high
confidence, but like any finding that is not a vendor credential it blocks in product code
only (the path-class policy), since test settings carry such keys on purpose. A private key
(``-----BEGIN ... PRIVATE KEY-----``) is ``private-key``: high confidence, blocks everywhere but
in the tests and fixtures classes, where test suites keep the keys of their own local TLS
servers (requests, urllib3, CPython's Lib/test all do); it names no account, unlike a vendor
token, and a key of a real account in a vendor format (a GCP service-account file) is still
that vendor's token. ``scanners.detect-secrets.private-keys-block-in`` names paths where a
private key blocks like a vendor token (``['**']``: everywhere, tests included).
"""

from __future__ import annotations

from secure_gate.model import Confidence

VENDOR = "vendor-token"
GENERIC = "generic-heuristic"
CREDENTIAL_URL = "credential-url"
SIGNING_KEY = "signing-key"
PRIVATE_KEY = "private-key"
UNCLASSIFIED = "unclassified"

# detect-secrets 1.5.0's own detectors of vendor formats, by the type name they report.
VENDOR_TYPES = frozenset({
    "AWS Access Key", "Artifactory Credentials", "Azure Storage Account access key",
    "Cloudant Credentials", "Discord Bot Token", "GitHub Token", "GitLab Token",
    "IBM Cloud IAM Key", "IBM COS HMAC Credentials", "JSON Web Token", "Mailchimp Access Key",
    "NPM tokens", "OpenAI Token", "Private Key", "PyPI Token", "SendGrid API Key",
    "Slack Token", "SoftLayer Credentials", "Square OAuth Secret", "Stripe Access Key",
    "Telegram Bot Token", "Twilio API Key",
})
# The gate's own detectors (secure_gate/scanners/detect_secrets/plugins.py).
OWN_TYPES = frozenset({
    "GitHub Fine-grained Token", "OpenAI Project Key", "Anthropic API Key",
    "GCP Service Account Key", "Hugging Face Token", "Databricks Token", "Shopify Token",
    "npm Access Token", "Hard-coded Signing Key",
})
# Our detector's match is dropped when detect-secrets' own detector found the same token.
SUPERSEDED_BY = {"OpenAI Project Key": "OpenAI Token", "npm Access Token": "NPM tokens"}
GENERIC_TYPES = frozenset({
    "Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String",
    "Basic Auth Credentials", "Public IP (ipv4)",
})


# A framework's signing key set to a literal in code (plugins.SigningKeyDetector).
SIGNING_KEY_TYPES = frozenset({"Hard-coded Signing Key"})
# detect-secrets' PEM/OpenSSH/PuTTY private key headers (PrivateKeyDetector).
PRIVATE_KEY_TYPES = frozenset({"Private Key"})


def kind_of(secret_type: str) -> str:
    """``vendor-token``, ``private-key``, ``signing-key``, ``generic-heuristic`` or
    ``unclassified``."""
    if secret_type in SIGNING_KEY_TYPES:
        return SIGNING_KEY
    if secret_type in PRIVATE_KEY_TYPES:
        return PRIVATE_KEY
    if secret_type in VENDOR_TYPES or secret_type in OWN_TYPES:
        return VENDOR
    if secret_type in GENERIC_TYPES:
        return GENERIC
    return UNCLASSIFIED


def confidence_for(kind: str, opted_in: bool = False) -> Confidence:
    """How much a match of this kind is trusted (``opted_in``: heuristics asked to block)."""
    if kind in (VENDOR, CREDENTIAL_URL, SIGNING_KEY, PRIVATE_KEY):
        return Confidence.HIGH
    if kind == GENERIC:
        return Confidence.MEDIUM if opted_in else Confidence.LOW
    # A detector this table does not know (a newer detect-secrets): trusted enough to block.
    return Confidence.MEDIUM
