"""Standard Webhooks signing and verification, checked against the PyPI
``standardwebhooks`` reference library a retailer would use."""

import base64
import json
import time
from datetime import datetime, timezone

import pytest
import standardwebhooks
from b2b_dropship_tools import webhook_signature as ws
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NOW = 1_750_000_000
BODY = json.dumps(
    {
        "type": "request.created",
        "data": {"reference": "PO-1001", "lines": [{"sku": "A-1", "quantity": 2}]},
    }
).encode()


@pytest.fixture
def secret():
    return ws.generate_secret()


def _theirs_sign(secret, msg_id, timestamp, body):
    hook = standardwebhooks.Webhook(secret)
    return hook.sign(
        msg_id, datetime.fromtimestamp(timestamp, tz=timezone.utc), body.decode()
    )


def _theirs_verify(secret, headers, body):
    return standardwebhooks.Webhook(secret).verify(body, headers)


# -- secrets -----------------------------------------------------------------


def test_generate_secret_has_prefix_and_32_random_bytes():
    first, second = ws.generate_secret(), ws.generate_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first[len("whsec_") :])) == 32
    assert first != second


def test_generate_secret_refuses_too_short_key():
    with pytest.raises(ValueError):
        ws.generate_secret(16)


def test_decode_secret_accepts_missing_prefix_and_padding(secret):
    key = ws.decode_secret(secret)
    bare = secret[len("whsec_") :].rstrip("=")
    assert ws.decode_secret(bare) == key


@pytest.mark.parametrize(
    "bad",
    [
        "whsec_",
        "whsec_not base64!",
        "whsec_" + base64.b64encode(b"short").decode(),
        "whsec_Zm9v\u00e9",
    ],
)
def test_decode_secret_refuses_malformed_secret_without_repeating_it(bad):
    with pytest.raises(ws.InvalidSecretError) as info:
        ws.decode_secret(bad)
    payload = bad[len("whsec_") :]
    if payload:
        assert payload not in str(info.value)


# -- interoperability ----------------------------------------------------------


def test_our_signature_equals_reference_library_signature(secret):
    assert ws.sign(secret, "msg_1", NOW, BODY) == _theirs_sign(
        secret, "msg_1", NOW, BODY
    )


def test_reference_library_verifies_our_headers(secret):
    headers = ws.sign_headers(secret, "msg_2", BODY)
    assert _theirs_verify(secret, headers, BODY) == json.loads(BODY)


def test_we_verify_reference_library_signature(secret):
    now = int(time.time())
    signature = _theirs_sign(secret, "msg_3", now, BODY)
    result = ws.verify([secret], "msg_3", str(now), signature, BODY)
    assert result == ws.Verification("msg_3", now, 0)


def test_known_vector_from_the_specification():
    # The example of the Standard Webhooks reference implementations.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    timestamp = 1614265330
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert ws.sign(secret, msg_id, timestamp, body) == expected
    assert ws.verify(secret, msg_id, str(timestamp), expected, body, now=timestamp)


# -- verification failures -------------------------------------------------------


def test_wrong_secret_is_refused(secret):
    signature = ws.sign(ws.generate_secret(), "msg", NOW, BODY)
    with pytest.raises(ws.NoMatchingSignatureError):
        ws.verify([secret], "msg", str(NOW), signature, BODY, now=NOW)


def test_tampered_body_is_refused(secret):
    signature = _theirs_sign(secret, "msg", NOW, BODY)
    with pytest.raises(ws.NoMatchingSignatureError):
        ws.verify(
            [secret],
            "msg",
            str(NOW),
            signature,
            BODY.replace(b'"quantity": 2', b'"quantity": 20'),
            now=NOW,
        )


def test_changed_message_id_is_refused(secret):
    signature = ws.sign(secret, "msg_a", NOW, BODY)
    with pytest.raises(ws.NoMatchingSignatureError):
        ws.verify([secret], "msg_b", str(NOW), signature, BODY, now=NOW)


def test_changed_timestamp_is_refused(secret):
    signature = ws.sign(secret, "msg", NOW, BODY)
    with pytest.raises(ws.NoMatchingSignatureError):
        ws.verify([secret], "msg", str(NOW + 1), signature, BODY, now=NOW)


def test_timestamp_older_than_five_minutes_is_refused(secret):
    old = NOW - 301
    signature = ws.sign(secret, "msg", old, BODY)
    with pytest.raises(ws.TimestampTooOldError) as info:
        ws.verify([secret], "msg", str(old), signature, BODY, now=NOW)
    assert "301 seconds old" in str(info.value)
    assert isinstance(info.value, ws.WebhookVerificationError)


def test_timestamp_five_minutes_away_is_accepted(secret):
    for timestamp in (NOW - 300, NOW + 300):
        signature = ws.sign(secret, "msg", timestamp, BODY)
        assert (
            ws.verify(
                [secret], "msg", str(timestamp), signature, BODY, now=NOW
            ).timestamp
            == timestamp
        )


def test_timestamp_in_the_future_is_refused(secret):
    future = NOW + 301
    signature = ws.sign(secret, "msg", future, BODY)
    with pytest.raises(ws.TimestampTooNewError):
        ws.verify([secret], "msg", str(future), signature, BODY, now=NOW)


def test_reference_library_signature_with_old_timestamp_is_refused(secret):
    old = int(time.time()) - 3600
    signature = _theirs_sign(secret, "msg", old, BODY)
    with pytest.raises(ws.TimestampTooOldError):
        ws.verify([secret], "msg", str(old), signature, BODY)


def test_custom_tolerance(secret):
    signature = ws.sign(secret, "msg", NOW - 20, BODY)
    with pytest.raises(ws.TimestampTooOldError):
        ws.verify(
            [secret], "msg", str(NOW - 20), signature, BODY, now=NOW, tolerance=10
        )


# -- rotation and several signatures ----------------------------------------------


def test_previous_secret_accepted_while_listed(secret):
    previous = ws.generate_secret()
    signature = _theirs_sign(previous, "msg", NOW, BODY)
    result = ws.verify([secret, previous], "msg", str(NOW), signature, BODY, now=NOW)
    assert result.secret_index == 1
    with pytest.raises(ws.NoMatchingSignatureError):
        ws.verify([secret], "msg", str(NOW), signature, BODY, now=NOW)


def test_unset_previous_secret_is_skipped(secret):
    signature = ws.sign(secret, "msg", NOW, BODY)
    assert (
        ws.verify(
            [secret, False, None, ""], "msg", str(NOW), signature, BODY, now=NOW
        ).secret_index
        == 0
    )


def test_no_secret_matches_nothing():
    signature = ws.sign(ws.generate_secret(), "msg", NOW, BODY)
    with pytest.raises(ws.NoMatchingSignatureError):
        ws.verify([], "msg", str(NOW), signature, BODY, now=NOW)


def test_one_matching_signature_among_several_is_enough(secret):
    other = ws.sign(ws.generate_secret(), "msg", NOW, BODY)
    good = ws.sign(secret, "msg", NOW, BODY)
    header = f"v1a,c29tZXRoaW5n {other}  {good} v2,abcd"
    assert ws.verify([secret], "msg", str(NOW), header, BODY, now=NOW)


def test_headers_signed_with_two_secrets_verify_with_either(secret):
    new = ws.generate_secret()
    headers = ws.sign_headers([secret, new], "msg", BODY, timestamp=NOW)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for one in (secret, new):
        ws.verify(
            [one],
            headers["webhook-id"],
            headers["webhook-timestamp"],
            headers["webhook-signature"],
            BODY,
            now=NOW,
        )


def test_only_v1_signatures_count(secret):
    good = ws.sign(secret, "msg", NOW, BODY).split(",", 1)[1]
    with pytest.raises(ws.NoMatchingSignatureError):
        ws.verify([secret], "msg", str(NOW), f"v2,{good}", BODY, now=NOW)


# -- malformed headers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("msg_id", "timestamp", "signature", "error", "header"),
    [
        (None, str(NOW), "v1,abc=", ws.MissingHeaderError, "webhook-id"),
        ("  ", str(NOW), "v1,abc=", ws.MissingHeaderError, "webhook-id"),
        ("msg", None, "v1,abc=", ws.MissingHeaderError, "webhook-timestamp"),
        ("msg", str(NOW), None, ws.MissingHeaderError, "webhook-signature"),
        ("msg", "", "v1,abc=", ws.MissingHeaderError, "webhook-timestamp"),
        ("msg", "17e8", "v1,abc=", ws.InvalidHeaderError, "webhook-timestamp"),
        ("msg", "-5", "v1,abc=", ws.InvalidHeaderError, "webhook-timestamp"),
        ("msg", "1750000000.5", "v1,abc=", ws.InvalidHeaderError, "webhook-timestamp"),
        (
            "msg",
            "\u0661\u0662\u0663",
            "v1,abc=",
            ws.InvalidHeaderError,
            "webhook-timestamp",
        ),
        ("msg", str(NOW), "garbage", ws.InvalidHeaderError, "webhook-signature"),
        ("msg", str(NOW), "v1, ,v1", ws.InvalidHeaderError, "webhook-signature"),
        ("x" * 256, str(NOW), "v1,abc=", ws.InvalidHeaderError, "webhook-id"),
        (b"\xff\xfe", str(NOW), "v1,abc=", ws.InvalidHeaderError, "webhook-id"),
    ],
)
def test_malformed_headers_are_refused_with_the_header_named(
    secret, msg_id, timestamp, signature, error, header
):
    with pytest.raises(error) as info:
        ws.verify([secret], msg_id, timestamp, signature, BODY, now=NOW)
    assert info.value.header == header
    assert header in str(info.value)


def test_undecodable_signature_does_not_match(secret):
    with pytest.raises(ws.NoMatchingSignatureError):
        ws.verify([secret], "msg", str(NOW), "v1,@@@@ v1,abc", BODY, now=NOW)


def test_headers_given_as_bytes_are_read_as_utf8(secret):
    signature = ws.sign(secret, "msg_é", NOW, BODY)
    result = ws.verify(
        [secret], "msg_é".encode(), str(NOW).encode(), signature.encode(), BODY, now=NOW
    )
    assert result.msg_id == "msg_é"


def test_errors_never_reveal_secret_or_signature(secret):
    signature = ws.sign(secret, "msg", NOW, BODY)
    messages = []
    for args in (
        ([secret], "msg", str(NOW), signature, b"other"),
        ([secret], "msg", str(NOW - 1000), signature, BODY),
        ([secret], "msg", "x", signature, BODY),
    ):
        with pytest.raises(ws.WebhookVerificationError) as info:
            ws.verify(*args, now=NOW)
        messages.append(str(info.value))
    key_b64 = secret[len("whsec_") :]
    for message in messages:
        assert key_b64 not in message
        assert signature.split(",")[1] not in message


def test_malformed_configured_secret_is_a_configuration_error():
    with pytest.raises(ws.InvalidSecretError) as info:
        ws.verify(["whsec_tooshort"], "msg", str(NOW), "v1,abc=", BODY, now=NOW)
    assert not isinstance(info.value, ws.WebhookVerificationError)
    assert "tooshort" not in str(info.value)


# -- properties ------------------------------------------------------------------------

_header = st.one_of(st.none(), st.text(max_size=80), st.binary(max_size=80))
_FIXED_SECRET = ws.generate_secret()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    msg_id=_header, timestamp=_header, signature=_header, body=st.binary(max_size=200)
)
def test_arbitrary_input_raises_only_verification_errors(
    msg_id, timestamp, signature, body
):
    with pytest.raises(ws.WebhookVerificationError):
        ws.verify([_FIXED_SECRET], msg_id, timestamp, signature, body, now=NOW)


@settings(max_examples=200, deadline=None)
@given(
    msg_id=st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters=" \t\r\n"),
        min_size=1,
        max_size=40,
    ),
    body=st.binary(max_size=300),
    offset=st.integers(min_value=-300, max_value=300),
)
def test_any_signed_message_verifies_and_any_flipped_bit_does_not(msg_id, body, offset):
    msg_id = msg_id.strip() or "m"
    timestamp = NOW + offset
    headers = ws.sign_headers(_FIXED_SECRET, msg_id, body, timestamp=timestamp)
    assert (
        ws.verify(
            [_FIXED_SECRET],
            headers["webhook-id"],
            headers["webhook-timestamp"],
            headers["webhook-signature"],
            body,
            now=NOW,
        ).msg_id
        == msg_id
    )
    tampered = body + b"\x00"
    with pytest.raises(ws.NoMatchingSignatureError):
        ws.verify(
            [_FIXED_SECRET],
            msg_id,
            headers["webhook-timestamp"],
            headers["webhook-signature"],
            tampered,
            now=NOW,
        )
