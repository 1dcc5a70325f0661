"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A webhook carries three headers:

- ``webhook-id``: the message id, the same on every retry of one message;
- ``webhook-timestamp``: Unix seconds at which it was sent;
- ``webhook-signature``: one or more space-separated ``v1,<base64>`` entries,
  each the HMAC-SHA256 of ``"{id}.{timestamp}.{raw body}"`` under a secret.

Secrets are written ``whsec_<base64 of the key bytes>``. Several signatures
in one header let a sender sign with two secrets while it rotates; several
secrets on our side (``verify(secrets=[current, previous])``) let a receiver
accept the previous secret for a while after a rotation.

This module is pure Python: ``b2b.connection`` keeps the secrets, the webhook
controller passes the raw request body and headers to :func:`verify`, and the
outbound sender calls :func:`sign_headers`. The PyPI ``standardwebhooks``
library signs and verifies the same way (see the tests).

No message of an exception raised here contains a secret or a signature: the
controller may log them, and must answer 401 without telling which check
failed.
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets as _secrets
import time
from typing import NamedTuple

SECRET_PREFIX = "whsec_"
# Bytes of key material in a secret: generated secrets have DEFAULT_SECRET_BYTES,
# configured ones need at least MIN_SECRET_BYTES (the specification's lower bound).
DEFAULT_SECRET_BYTES = 32
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
# Seconds a timestamp may lie away from now, either way.
DEFAULT_TOLERANCE = 300
# A message id is stored as the idempotency key of the event: bound its size.
MAX_MSG_ID_LENGTH = 255
SIGNATURE_VERSION = "v1"

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"

_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class WebhookVerificationError(Exception):
    """The delivery is not proven to come from the holder of a valid secret."""


class WebhookHeaderError(WebhookVerificationError):
    """A Standard Webhooks header is missing or malformed."""

    def __init__(self, header, message):
        super().__init__(message)
        self.header = header


class MissingHeaderError(WebhookHeaderError):
    """A required header is absent or empty."""


class InvalidHeaderError(WebhookHeaderError):
    """A header is present but cannot be read."""


class TimestampError(WebhookVerificationError):
    """The timestamp is too far from now: a replay or a badly set clock."""

    def __init__(self, message, timestamp, now):
        super().__init__(message)
        self.timestamp = timestamp
        self.now = now


class TimestampTooOldError(TimestampError):
    """The message was signed too long ago."""


class TimestampTooNewError(TimestampError):
    """The message claims to be signed in the future."""


class NoMatchingSignatureError(WebhookVerificationError):
    """No signature of the header matches the body under any valid secret."""


class InvalidSecretError(ValueError):
    """A configured secret is not a ``whsec_`` secret of acceptable length.

    A configuration error on our side, not a bad delivery: it is not a
    :class:`WebhookVerificationError`. The message never repeats the secret.
    """


class Verification(NamedTuple):
    """What :func:`verify` proved."""

    msg_id: str
    timestamp: int
    # Position, in the list given to verify(), of the secret that matched:
    # 0 for the current secret, 1 for the previous one during a rotation.
    secret_index: int


def generate_secret(nbytes=DEFAULT_SECRET_BYTES):
    """Return a new random secret ``whsec_<base64>`` of ``nbytes`` random bytes."""
    if not MIN_SECRET_BYTES <= nbytes <= MAX_SECRET_BYTES:
        raise ValueError(
            f"A webhook secret holds {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, "
            f"not {nbytes}."
        )
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(nbytes)).decode(
        "ascii"
    )


def decode_secret(secret):
    """Return the key bytes of a ``whsec_<base64>`` secret.

    The ``whsec_`` prefix may be left out and base64 padding may be missing,
    as the reference libraries allow.

    :raise InvalidSecretError: when the secret is not base64 or holds fewer
        than ``MIN_SECRET_BYTES`` or more than ``MAX_SECRET_BYTES`` bytes.
    """
    if isinstance(secret, bytes):
        try:
            secret = secret.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidSecretError("The webhook secret is not ASCII text.") from None
    if not isinstance(secret, str):
        raise InvalidSecretError("The webhook secret must be text.")
    text = secret.strip()
    if text.startswith(SECRET_PREFIX):
        text = text[len(SECRET_PREFIX) :]
    text = text.rstrip("=")
    text += "=" * (-len(text) % 4)
    if not _BASE64_RE.fullmatch(text):
        raise InvalidSecretError(
            "The webhook secret is not of the form whsec_<base64>."
        )
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecretError(
            "The webhook secret is not of the form whsec_<base64>."
        ) from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidSecretError(
            f"The webhook secret holds {len(key)} bytes; {MIN_SECRET_BYTES} to "
            f"{MAX_SECRET_BYTES} are required."
        )
    return key


def _as_body(body):
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    raise TypeError(f"A webhook body must be bytes, not {type(body).__name__}.")


def _signature(key, msg_id, timestamp, body):
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(secret, msg_id, timestamp, body):
    """Return the ``v1,<base64>`` signature of a message.

    :param str secret: ``whsec_<base64>`` secret.
    :param str msg_id: value of the ``webhook-id`` header.
    :param int timestamp: Unix seconds, the value of ``webhook-timestamp``.
    :param bytes body: the raw body, exactly as sent (text is UTF-8 encoded).
    """
    key = decode_secret(secret)
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | str):
        raise TypeError("The timestamp must be Unix seconds as an integer.")
    timestamp = str(timestamp)
    if not _TIMESTAMP_RE.fullmatch(timestamp):
        raise ValueError("The timestamp must be a non-negative number of Unix seconds.")
    digest = _signature(key, msg_id, timestamp, _as_body(body))
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def sign_headers(secret, msg_id, body, timestamp=None):
    """Return the three Standard Webhooks headers of an outbound message.

    :param secret: a ``whsec_`` secret, or a list of them to sign with each
        (while the receiver moves to a new secret).
    :param int timestamp: Unix seconds; now when not given.
    """
    if timestamp is None:
        timestamp = int(time.time())
    all_secrets = [secret] if isinstance(secret, str | bytes) else list(secret)
    if not all_secrets:
        raise InvalidSecretError("At least one webhook secret is needed to sign.")
    signatures = " ".join(sign(one, msg_id, timestamp, body) for one in all_secrets)
    return {
        HEADER_ID: msg_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: signatures,
    }


def _header_text(header, value):
    """Return a header value as stripped text, or raise a header error."""
    if value is None:
        raise MissingHeaderError(header, f"The {header} header is missing.")
    if isinstance(value, bytes | bytearray):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidHeaderError(
                header, f"The {header} header is not valid UTF-8."
            ) from None
    if not isinstance(value, str):
        raise InvalidHeaderError(header, f"The {header} header is not text.")
    value = value.strip()
    if not value:
        raise MissingHeaderError(header, f"The {header} header is empty.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidHeaderError(
            header, f"The {header} header is not valid text."
        ) from None
    return value


def _candidate_signatures(header_value):
    """Return the decoded ``v1`` signatures of a ``webhook-signature`` header.

    Entries of other versions (``v1a`` asymmetric signatures, future ones) are
    skipped, as the specification asks. A header without a single
    ``version,signature`` entry is malformed.
    """
    well_formed = False
    candidates = []
    for entry in header_value.split():
        version, comma, encoded = entry.partition(",")
        if not comma or not version or not encoded:
            continue
        well_formed = True
        if version != SIGNATURE_VERSION or not _BASE64_RE.fullmatch(encoded):
            continue
        try:
            candidates.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    if not well_formed:
        raise InvalidHeaderError(
            HEADER_SIGNATURE,
            f"The {HEADER_SIGNATURE} header holds no entry of the form v1,<base64 "
            "signature>.",
        )
    return candidates


def verify(
    secrets,
    msg_id,
    timestamp_header,
    signature_header,
    body,
    now=None,
    tolerance=DEFAULT_TOLERANCE,
):
    """Check that a delivery was signed with one of ``secrets``, recently.

    Headers are checked first (presence, form), then the timestamp, then the
    signatures; comparisons run in constant time (``hmac.compare_digest``).

    :param secrets: the valid ``whsec_`` secrets, current first, e.g.
        ``[current, previous]`` during a rotation; empty values (a previous
        secret that is not set) are skipped; a single secret may be passed as
        a string. With no secret at all, nothing matches.
    :param msg_id: ``webhook-id`` header value, as text or bytes. Frameworks
        that decode header bytes as Latin-1 (WSGI) should pass
        ``value.encode("latin-1")`` so that a non-ASCII id is read as the
        UTF-8 the sender signed.
    :param timestamp_header: ``webhook-timestamp`` header value.
    :param signature_header: ``webhook-signature`` header value.
    :param bytes body: the raw request body, not a re-serialisation of it.
    :param int now: Unix seconds to compare with; the clock when not given.
    :param int tolerance: seconds the timestamp may lie away from ``now``.
    :return: a :class:`Verification` (message id, timestamp, index of the
        secret that matched).
    :raise WebhookVerificationError: one of its subclasses, telling which
        check failed (for logs, not for the sender).
    :raise InvalidSecretError: when one of ``secrets`` is malformed.
    """
    if isinstance(secrets, str | bytes):
        secrets = [secrets]
    keys = [
        (index, decode_secret(secret))
        for index, secret in enumerate(secrets or ())
        if secret
    ]

    msg_id = _header_text(HEADER_ID, msg_id)
    if len(msg_id) > MAX_MSG_ID_LENGTH:
        raise InvalidHeaderError(
            HEADER_ID,
            f"The {HEADER_ID} header is longer than {MAX_MSG_ID_LENGTH} characters.",
        )
    timestamp_text = _header_text(HEADER_TIMESTAMP, timestamp_header)
    signature_text = _header_text(HEADER_SIGNATURE, signature_header)
    if not _TIMESTAMP_RE.fullmatch(timestamp_text):
        raise InvalidHeaderError(
            HEADER_TIMESTAMP,
            f"The {HEADER_TIMESTAMP} header is not a number of Unix seconds.",
        )
    candidates = _candidate_signatures(signature_text)
    try:
        body = _as_body(body)
    except TypeError:
        raise NoMatchingSignatureError("The body is not bytes.") from None

    timestamp = int(timestamp_text)
    now = int(time.time()) if now is None else int(now)
    if timestamp < now - tolerance:
        raise TimestampTooOldError(
            f"The message timestamp is {now - timestamp} seconds old; at most "
            f"{tolerance} are accepted.",
            timestamp,
            now,
        )
    if timestamp > now + tolerance:
        raise TimestampTooNewError(
            f"The message timestamp is {timestamp - now} seconds in the future; at "
            f"most {tolerance} are accepted.",
            timestamp,
            now,
        )

    for index, key in keys:
        expected = _signature(key, msg_id, timestamp_text, body)
        # compare against every candidate, without stopping at the first
        # mismatch, so the time taken does not depend on which one differs
        matched = False
        for candidate in candidates:
            matched |= hmac.compare_digest(expected, candidate)
        if matched:
            return Verification(msg_id, timestamp, index)
    raise NoMatchingSignatureError(
        "No signature of the message matches a valid secret."
    )
