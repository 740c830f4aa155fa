"""Fake credentials built at run time, so the repository itself holds none."""

from __future__ import annotations

import random
import string

_rng = random.Random(20261129)


def _token(alphabet: str, length: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(length))


GITHUB_TOKEN = "ghp_" + _token(string.ascii_letters + string.digits, 36)
AWS_KEY_ID = "AKIA" + _token(string.ascii_uppercase + "234567", 16)
PASSWORD = "Pw-" + _token(string.ascii_letters + string.digits, 20)
ALL = (GITHUB_TOKEN, AWS_KEY_ID, PASSWORD)


def leaked(text: str) -> list[str]:
    """The fake secrets (or a telling part of them) that appear in ``text``."""
    return [s for s in ALL if s in text or s[4:20] in text]

_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"
_B64 = _ALNUM + "+/"
_URLSAFE = _ALNUM + "_-"

# Credential formats in current use, each a fake of the real shape (prefix, length,
# alphabet), with the placement-independent near miss next to it.
MODERN = {
    "GitHub Fine-grained Token": "github_pat_" + _token(_ALNUM, 22) + "_" + _token(_ALNUM, 59),
    "GitHub Token": "gho_" + _token(_ALNUM, 36),
    "OpenAI Project Key": ("sk-proj-" + _token(_URLSAFE, 74) + "T3BlbkFJ"
                           + _token(_URLSAFE, 74)),
    "Anthropic API Key": "sk-ant-api03-" + _token(_URLSAFE, 93) + "AA",
    "Hugging Face Token": "hf_" + _token(string.ascii_letters, 34),
    "Databricks Token": "dapi" + _token(_HEX, 32),
    "Shopify Token": "shpat_" + _token(_HEX, 32),
    "SendGrid API Key": "SG." + _token(_URLSAFE, 22) + "." + _token(_URLSAFE, 43),
    "Twilio API Key": "AC" + _token(_HEX, 32),
    "npm Access Token": "npm_" + _token(_ALNUM, 36),
    "Azure Storage Account access key": ("DefaultEndpointsProtocol=https;AccountName=acmeprod;"
                                         "AccountKey=" + _token(_B64, 86) + "==;"
                                         "EndpointSuffix=core.windows.net"),
    "Basic Auth Credentials": ("postgresql://app:" + _token(_ALNUM, 18)
                               + "@db-7.prod.acme-corp.io:5432/app"),
}
NEAR_MISS = {
    "GitHub Fine-grained Token": "github_pat_" + _token(_ALNUM, 22) + "_" + _token(_ALNUM, 30),
    "GitHub Token": "gho_" + _token(_ALNUM, 20),
    "OpenAI Project Key": "sk-proj-" + _token(_ALNUM, 40),
    "Anthropic API Key": "sk-ant-api03-" + _token(_URLSAFE, 30),
    "Hugging Face Token": "hf_" + _token(string.ascii_letters, 12),
    "Databricks Token": "dapi" + _token("ghijklmnop", 32),
    "Shopify Token": "shpat_" + _token(_HEX, 20),
    "SendGrid API Key": "SG." + _token(_URLSAFE, 10) + "." + _token(_URLSAFE, 10),
    "Twilio API Key": "AC" + _token(_HEX, 20),
    "npm Access Token": "npm_" + _token(_ALNUM, 20),
    "Azure Storage Account access key": "AccountName=acmeprod;AccountKey=<your-key>",
    "Basic Auth Credentials": "postgresql://app:" + _token(_ALNUM, 18) + "@localhost:5432/app",
}
GCP_KEY_ID = _token(_HEX, 40)
GCP_PRIVATE_KEY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + _token(_B64, 60)
ALL = ALL + tuple(v for k, v in MODERN.items()
                  if k not in ("Azure Storage Account access key", "Basic Auth Credentials")
                  ) + (GCP_KEY_ID, GCP_PRIVATE_KEY)


def gcp_service_account(key_id: str = GCP_KEY_ID) -> str:
    """A Google Cloud service-account key file of the real shape (fake values)."""
    return ('{\n  "type": "service_account",\n  "project_id": "acme-prod",\n'
            f'  "private_key_id": "{key_id}",\n'
            f'  "private_key": "-----BEGIN PRIVATE KEY-----\\n{GCP_PRIVATE_KEY}\\n'
            '-----END PRIVATE KEY-----\\n",\n'
            '  "client_email": "ci@acme-prod.iam.gserviceaccount.com"\n}\n')


def placements(name: str, value: str) -> dict[str, str]:
    """One value in four placements: .env (unquoted), Markdown, YAML (unquoted), Python."""
    return {".env": f"{name.upper()}={value}\n",
            "README.md": f"Set the credential: {value} and run it.\n",
            "config.yaml": f"service:\n  credential: {value}\n",
            "settings.py": f'CREDENTIAL = "{value}"\n'}
