"""ComplianceService through both clients against the live server."""

from __future__ import annotations

import bcrypt
import pytest
from authtuna_api.client import ConsentAlreadyGranted, ConsentNotGranted
from authtuna_api.user.v1 import compliance_pb2

from tests.clients.conftest import STRONG

PASSWORD = "Imported-Pass-1"
BCRYPT_HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()


async def test_consent_export_and_verification(client) -> None:
    ada = await client.create_user(email="ada@example.com", username="ada", password=STRONG)
    granted = await client.grant_consent(ada.id, "newsletter", "v1")
    with pytest.raises(ConsentAlreadyGranted):
        await client.grant_consent(ada.id, "newsletter", "v1")
    assert (await client.withdraw_consent(ada.id, "newsletter")).id == granted.consent.id
    with pytest.raises(ConsentNotGranted):
        await client.withdraw_consent(ada.id, "newsletter")
    assert [c.id for c in (await client.list_consents(ada.id)).consents] == [granted.consent.id]

    messages = await client.collect("export_user_data", ada.id)
    assert messages[0].profile.id == ada.id
    assert messages[-1].summary.consents == 1
    report = await client.verify_audit_log()
    assert report.intact and report.events_verified > 0


async def test_import_streams_a_result_per_user(client) -> None:
    users = [
        compliance_pb2.ImportedUser(email=f"imp{i}@example.com", username=f"imp{i}", password_hash=BCRYPT_HASH)
        for i in range(25)
    ]
    users.append(compliance_pb2.ImportedUser(email="imp0@example.com", username="imp-dup"))
    results = await client.collect("import_users", users)
    assert [r.row for r in results] == list(range(26))
    assert {r.outcome for r in results[:25]} == {compliance_pb2.IMPORT_OUTCOME_IMPORTED}
    assert results[25].error.reason == "EMAIL_ALREADY_REGISTERED"
    assert (await client.sign_in("imp3", PASSWORD)).user.username == "imp3"
