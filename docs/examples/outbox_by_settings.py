"""The in-memory outbox chosen by a setting: the application's code stays as it is."""

from __future__ import annotations

import os

import ileti
from ileti.testing import default_outbox


def send_code(phone: str, code: str) -> str | None:
    """Application code: the provider comes from the settings."""
    with ileti.Client.from_env() as client:  # ILETI_PROVIDER, or provider = "..." in the file
        return client.send(phone, f"Doğrulama kodunuz: {code}").message_id


# in the test set-up (or in the CI environment): ILETI_PROVIDER=outbox
os.environ["ILETI_PROVIDER"] = "outbox"
outbox = default_outbox()
outbox.clear()

send_code("0532 111 22 33", "1234")

[sms] = outbox.sent
assert sms.recipients == ("+905321112233",)
assert sms.text == "Doğrulama kodunuz: 1234"
print(sms)
