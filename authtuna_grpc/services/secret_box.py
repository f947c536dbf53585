"""TOTP secrets at rest: AES-256-GCM under a ring of keys, the first one current.

Each ciphertext names its key, so keys rotate: put a new key first, keep the old ones
after it until `authtuna-grpc mfa rotate-key` has re-encrypted every secret, then
drop them. The user id is bound in as associated data (domain.two_factor.secret_context).
"""

from __future__ import annotations

import base64
import logging
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from authtuna_grpc.domain.errors import MfaNotConfigured
from authtuna_grpc.domain.two_factor import EncryptionKey, SealedSecret, parse_key_ring

log = logging.getLogger("authtuna_grpc.mfa")

_NONCE_BYTES = 12


class SecretBox:
    def __init__(self, keys: tuple[EncryptionKey, ...]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._current = keys[0].key_id
        self._ciphers = {key.key_id: AESGCM(key.key) for key in keys}

    @classmethod
    def from_setting(cls, value: str | None) -> SecretBox | None:
        """The box for AUTHTUNA_MFA_ENCRYPTION_KEYS; None when it is unset."""
        return cls(parse_key_ring(value)) if value else None

    @property
    def current_key_id(self) -> str:
        return self._current

    def seal(self, secret: str, context: bytes) -> SealedSecret:
        nonce = os.urandom(_NONCE_BYTES)
        encrypted = self._ciphers[self._current].encrypt(nonce, secret.encode("ascii"), context)
        ciphertext = base64.urlsafe_b64encode(nonce + encrypted).decode("ascii")
        return SealedSecret(key_id=self._current, ciphertext=ciphertext)

    def open(self, sealed: SealedSecret, context: bytes) -> str:
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            log.error("a TOTP secret is encrypted with key %r, which is not configured", sealed.key_id)
            raise _not_configured()
        raw = base64.urlsafe_b64decode(sealed.ciphertext)
        try:
            plain = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context)
        except InvalidTag:
            log.error("a TOTP secret does not decrypt with key %r (wrong key or altered row)", sealed.key_id)
            raise _not_configured() from None
        return plain.decode("ascii")


def _not_configured() -> MfaNotConfigured:
    return MfaNotConfigured("the key this authenticator's secret was encrypted with is not configured")


def required(box: SecretBox | None) -> SecretBox:
    if box is None:
        raise MfaNotConfigured(
            "two-factor enrolment is not configured on this server (AUTHTUNA_MFA_ENCRYPTION_KEYS)"
        )
    return box
