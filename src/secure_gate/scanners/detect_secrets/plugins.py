"""Credential formats detect-secrets 1.5 does not know, as detectors in its plugin interface.

detect-secrets loads this file with ``--plugin`` (its documented way to add detectors), so
these run inside its own scan, with its filters, its ``pragma: allowlist secret`` and its
hashing, and the gate's fast path treats them like the stock regex detectors. Each pattern
is anchored on the vendor's documented prefix and length, so a near miss (a shorter body, a
different prefix, a placeholder) is not a match. Formats detect-secrets 1.5 already knows
(``gho_``/``ghu_``/``ghs_``/``ghr_`` GitHub tokens, legacy OpenAI keys, SendGrid ``SG.``,
Twilio ``AC``/``SK``, Azure ``AccountKey=``) are left to its own detectors.

Only ``re`` and detect-secrets are imported: detect-secrets imports this file by path.
"""

# detect-secrets' interface: `secret_type` names a detector (not a password) and `denylist` is
# a class-level list it reads.
# ruff: noqa: S105, RUF012
from __future__ import annotations

import re

from detect_secrets.plugins.base import RegexBasedDetector

# A token's body ends where a token character does not follow.
_END = r"(?![A-Za-z0-9_-])"
_START = r"(?<![A-Za-z0-9_-])"


class GitHubFineGrainedTokenDetector(RegexBasedDetector):
    """GitHub fine-grained personal access tokens (``github_pat_``)."""

    secret_type = "GitHub Fine-grained Token"
    # A match contains one of these (the worker skips lines without any).
    prefixes = ("github_pat_",)
    denylist = [re.compile(_START + r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}" + _END)]


class OpenAIProjectKeyDetector(RegexBasedDetector):
    """OpenAI project, service-account and admin keys (``sk-proj-``, ``sk-svcacct-``...)."""

    secret_type = "OpenAI Project Key"
    # A match contains one of these (the worker skips lines without any).
    prefixes = ("T3BlbkFJ",)
    denylist = [re.compile(_START + r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}T3BlbkFJ"
                           r"[A-Za-z0-9_-]{20,}" + _END)]


class AnthropicKeyDetector(RegexBasedDetector):
    """Anthropic API and admin keys (``sk-ant-api03-``, ``sk-ant-admin01-``)."""

    secret_type = "Anthropic API Key"
    # A match contains one of these (the worker skips lines without any).
    prefixes = ("sk-ant-",)
    denylist = [re.compile(_START + r"sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,100}AA"
                           + _END)]


class GCPServiceAccountKeyDetector(RegexBasedDetector):
    """Google Cloud service-account key files: the key id, or a one-line key document."""

    secret_type = "GCP Service Account Key"
    # A match contains one of these (the worker skips lines without any).
    prefixes = ("private_key",)
    denylist = [
        re.compile(r'"private_key_id"\s*:\s*"([0-9a-f]{40})"'),
        re.compile(r'"type"\s*:\s*"service_account".*"private_key"\s*:\s*'
                   r'"(-----BEGIN[^"]{40,})'),
    ]


class HuggingFaceTokenDetector(RegexBasedDetector):
    """Hugging Face user and organisation access tokens (``hf_``, ``api_org_``)."""

    secret_type = "Hugging Face Token"
    # A match contains one of these (the worker skips lines without any).
    prefixes = ("hf_", "api_org_")
    denylist = [re.compile(_START + r"(?:hf_[A-Za-z]{34}|api_org_[A-Za-z]{34})" + _END)]


class DatabricksTokenDetector(RegexBasedDetector):
    """Databricks personal access tokens (``dapi`` and 32 hex digits)."""

    secret_type = "Databricks Token"
    # A match contains one of these (the worker skips lines without any).
    prefixes = ("dapi",)
    denylist = [re.compile(_START + r"dapi[0-9a-f]{32}(?:-\d)?" + _END)]


class ShopifyTokenDetector(RegexBasedDetector):
    """Shopify access, custom-app, private-app and shared-secret tokens."""

    secret_type = "Shopify Token"
    # A match contains one of these (the worker skips lines without any).
    prefixes = ("shpat_", "shpca_", "shppa_", "shpss_")
    denylist = [re.compile(_START + r"shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}" + _END)]


class NpmAccessTokenDetector(RegexBasedDetector):
    """npm access tokens anywhere (detect-secrets' own detector only reads ``.npmrc`` lines)."""

    secret_type = "npm Access Token"
    # A match contains one of these (the worker skips lines without any).
    prefixes = ("npm_",)
    denylist = [re.compile(_START + r"npm_[A-Za-z0-9]{36}" + _END)]


class SigningKeyDetector(RegexBasedDetector):
    """A framework's signing key assigned a literal: Django/Flask ``SECRET_KEY``,
    ``app.secret_key``, ``app.config["SECRET_KEY"]``, ``JWT_SECRET_KEY`` and the like.

    Not a vendor format: its kind (``signing-key``) blocks in product code only, and the
    known-benign rules (placeholders, templates, environment reads) apply to it.
    """

    secret_type = "Hard-coded Signing Key"
    prefixes = ("SECRET_KEY", "secret_key", "JWT_SECRET")
    _NAME = r"(?:[A-Z0-9_]*SECRET_KEY[A-Z0-9_]*|JWT_SECRET[A-Z0-9_]*)"
    _VALUE = r"""[rbuRBU]?(?:"([^"\s]{6,200})"|'([^'\s]{6,200})')"""
    # An assignment statement (not a comment, a docstring's example or prose that names one).
    denylist = [
        re.compile(r"^\s*(?:[A-Za-z_]\w*\.)*(?:" + _NAME + r"|secret_key)\s*(?::\s*str\s*)?="
                   r"\s*" + _VALUE),
        re.compile(r"""^\s*[A-Za-z_][\w.]*\s*\[\s*['"]""" + _NAME + r"""['"]\s*\]\s*=\s*"""
                   + _VALUE),
    ]
