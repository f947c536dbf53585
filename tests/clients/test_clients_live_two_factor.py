"""The second factor through both clients against the live server."""

from __future__ import annotations

import time

import pyotp
import pytest
from authtuna_api.client import InvalidSecondFactor

from tests.clients.conftest import STRONG


async def test_enrol_sign_in_with_a_challenge_and_complete_it(client) -> None:
    ada = await client.create_user(email="ada@example.com", username="ada", password=STRONG)
    begun = await client.begin_totp_enrollment(ada.id)
    assert begun.provisioning_uri.startswith("otpauth://totp/")
    totp = pyotp.TOTP(begun.secret)
    codes = await client.confirm_totp_enrollment(ada.id, totp.at(time.time()))
    assert len(codes) == 10
    assert (await client.get_second_factor(ada.id)).totp_enrolled

    challenged = await client.sign_in("ada", STRONG)
    assert challenged.WhichOneof("result") == "challenge"
    with pytest.raises(InvalidSecondFactor):
        await client.complete_sign_in(challenged.challenge.token, "000000" if codes[0] != "000000" else "111111")
    done = await client.complete_sign_in(challenged.challenge.token, codes[0])
    assert done.user.id == ada.id
    assert (await client.validate_session(done.session.token)).user.id == ada.id

    fresh = await client.regenerate_recovery_codes(ada.id)
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert await client.reset_second_factor(ada.id, "lost phone") is True
    assert (await client.sign_in("ada", STRONG)).WhichOneof("result") == "session"
