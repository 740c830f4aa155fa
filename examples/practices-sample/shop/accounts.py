"""Sign-up and sign-in for the sample shop."""
import hashlib
import logging

import bcrypt

logger = logging.getLogger(__name__)


def sign_in(username: str, password: str, token: str) -> None:
    """Near misses first: these must stay quiet."""
    logger.info("token refreshed")
    logger.info("sign-in for %s with token %s...", username, token[:4])
    logger.debug("password length %d", len(password))
    logger.info("sign-in for %s with password %s", username, password)


def store_password(password: str) -> tuple[bytes, str]:
    """bcrypt is a password hash; sha256 is not."""
    password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
    token_digest = hashlib.sha256(b"api-token").hexdigest()
    legacy = hashlib.sha256(password.encode()).hexdigest()
    return password_hash, legacy + token_digest
