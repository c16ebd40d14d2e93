"""Click links: a URL button's link as `{PUBLIC_URL}/r/<token>`, one for each recipient and button.

The token names the mailing and the button (its position) in clear and the recipient only
encrypted, so the link shows nothing personal; it is signed, so it cannot be changed into another
recipient's or another button's. Its 30 bytes, as 40 characters of URL-safe base64:

    version (1) | mailing id (8) | button position (1) | recipient's user id, encrypted (8) | tag (12)

The tag is a keyed BLAKE2b MAC (a PRF, as HMAC is, at a third of HMAC-SHA256's cost here) of the
version, mailing, position and the user id in clear, 96 bits long. It doubles as the synthetic IV
of the encryption (the SIV construction): the user id is XORed with the keyed BLAKE2b of the tag
under a second key. Reading a token undoes the XOR, computes the tag again
and compares the two in constant time, so a token changed anywhere is refused. The same recipient
gets the same link for a button each time (a retried message too).

Both keys are derived from JWT_SECRET_KEY: a new secret makes every earlier link unreadable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass

VERSION = 1
PATH = "/r/"
_HEAD = struct.Struct(">BQB")  # version, mailing id, button position
_USER = struct.Struct(">q")  # a Telegram id is a signed 64-bit number
TAG_BYTES = 12
TOKEN_BYTES = _HEAD.size + _USER.size + TAG_BYTES
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{40}")  # TOKEN_BYTES in base64, which needs no padding
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def _xor(data: bytes, pad: bytes) -> bytes:
    return (int.from_bytes(data) ^ int.from_bytes(pad)).to_bytes(len(data))


def trackable(url: str) -> bool:
    """True for the links the redirect can forward to: http(s); a tg:// link opens inside Telegram."""
    return url[:8].lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class Click:
    """What a valid token names: a mailing, one of its buttons and the recipient."""

    mailing_id: int
    position: int
    user_id: int


class ClickKeys:
    """The signing and encryption keys of click tokens (keyed once; each token copies the keyed state)."""

    def __init__(self, mac: bytes, enc: bytes):
        self._mac = hashlib.blake2b(key=mac, digest_size=TAG_BYTES)
        self._enc = hashlib.blake2b(key=enc, digest_size=_USER.size)

    @classmethod
    def from_secret(cls, secret: str) -> ClickKeys:
        """Keys derived from the server's secret, one for each purpose."""
        key = secret.encode()
        return cls(
            mac=hmac.digest(key, b"rassylka click links: signing", "sha256"),
            enc=hmac.digest(key, b"rassylka click links: encryption", "sha256"),
        )

    def _keyed(self, keyed, data: bytes) -> bytes:
        digest = keyed.copy()
        digest.update(data)
        return digest.digest()

    def token(self, mailing_id: int, position: int, user_id: int) -> str:
        """The token of one recipient's click on one button."""
        # Inlined (no helper calls): the engine makes one per button of every message it sends.
        head = _HEAD.pack(VERSION, mailing_id, position)
        user = _USER.pack(user_id)
        mac = self._mac.copy()
        mac.update(head + user)
        tag = mac.digest()
        enc = self._enc.copy()
        enc.update(tag)
        hidden = (int.from_bytes(user) ^ int.from_bytes(enc.digest())).to_bytes(_USER.size)
        return binascii.b2a_base64(head + hidden + tag, newline=False).translate(_URL_SAFE).decode("ascii")

    def read(self, token: str) -> Click | None:
        """The click a token names, or None for anything we did not sign (changed, cut, garbage)."""
        if not TOKEN_PATTERN.fullmatch(token):
            return None
        raw = base64.urlsafe_b64decode(token)
        head, hidden, tag = raw[: _HEAD.size], raw[_HEAD.size : -TAG_BYTES], raw[-TAG_BYTES:]
        user = _xor(hidden, self._keyed(self._enc, tag))
        expected = self._keyed(self._mac, head + user)
        if not hmac.compare_digest(tag, expected):
            return None
        version, mailing_id, position = _HEAD.unpack(head)
        if version != VERSION:
            return None
        return Click(mailing_id, position, _USER.unpack(user)[0])


@dataclass(frozen=True)
class MailingLinks:
    """The click links of one mailing: `url(position, user_id)` is what its button sends a recipient to."""

    keys: ClickKeys
    base: str  # PUBLIC_URL + PATH
    mailing_id: int

    def url(self, position: int, user_id: int) -> str:
        """The button's link for this recipient."""
        return self.base + self.keys.token(self.mailing_id, position, user_id)


def for_mailing(settings, mailing_id: int) -> MailingLinks | None:
    """A mailing's click links under these settings, or None when PUBLIC_URL is unset (links as written)."""
    if not settings.public_url:
        return None
    keys = ClickKeys.from_secret(settings.jwt_secret_key)
    return MailingLinks(keys, settings.public_url + PATH, mailing_id)
