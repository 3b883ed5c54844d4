from __future__ import annotations

import pytest

from ileti import errors
from ileti.plugin import Category, classify_text, error_for


def test_every_error_is_an_ileti_error_with_the_common_fields() -> None:
    names = list(errors.__all__)
    for name in names:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.IletiError)
        exc = cls("boom", provider="efecell", code="402", http_status=402, excerpt="x")
        assert exc.provider == "efecell"
        assert exc.code == "402"
        assert exc.http_status == 402
        assert isinstance(exc.retryable, bool)
        assert "[efecell] boom" in str(exc)
        assert "HTTP 402" in str(exc)


def test_retryable_defaults() -> None:
    assert errors.TransportError("x").retryable
    assert errors.RateLimited("x").retryable
    assert not errors.DeliveryUnknown("x").retryable
    assert not errors.AuthenticationError("x").retryable


def test_delivery_unknown_says_not_to_resend_and_carries_the_reference() -> None:
    exc = errors.DeliveryUnknown("read timeout", client_ref="abc123")
    assert exc.client_ref == "abc123"
    assert "abc123" in str(exc)
    assert "do not resend" in str(exc)


def test_messages_say_what_to_do() -> None:
    assert "credentials" in str(errors.AuthenticationError("bad key"))
    assert "Top up" in str(errors.InsufficientCredit("no money"))


@pytest.mark.parametrize(
    ("category", "cls"),
    [
        (Category.AUTH, errors.AuthenticationError),
        (Category.INSUFFICIENT_CREDIT, errors.InsufficientCredit),
        (Category.INVALID_SENDER, errors.InvalidSender),
        (Category.INVALID_RECIPIENT, errors.InvalidRecipient),
        (Category.MESSAGE_TOO_LONG, errors.MessageTooLong),
        (Category.INVALID_REQUEST, errors.Rejected),
        (Category.ACCOUNT_INACTIVE, errors.AccountInactive),
        (Category.FORBIDDEN, errors.Forbidden),
        (Category.RATE_LIMITED, errors.RateLimited),
        (Category.PROVIDER_ERROR, errors.ProviderUnavailable),
    ],
)
def test_category_mapping(category: Category, cls: type[errors.IletiError]) -> None:
    exc = error_for(category, "m", provider="p", code="c")
    assert type(exc) is cls
    assert exc.code == "c"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Kullanıcı adı veya şifre hatalı", Category.AUTH),
        ("KULLANICI ADI VEYA ŞİFRE HATALI", Category.AUTH),
        ("username/password error", Category.AUTH),
        ("Yetersiz kredi", Category.INSUFFICIENT_CREDIT),
        ("Geçersiz başlık", Category.INVALID_SENDER),
        ("Hatalı numara", Category.INVALID_RECIPIENT),
        ("Hesap aktif değil", Category.ACCOUNT_INACTIVE),
        ("something else entirely", None),
    ],
)
def test_free_text_classification(text: str, category: Category | None) -> None:
    assert classify_text(text) == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("BAŞLIK HATALI", Category.INVALID_SENDER),  # casefold gives "başlik", not "başlık"
        ("GEÇERSİZ ALICI", Category.INVALID_RECIPIENT),  # İ casefolds to i + combining dot
        ("Kullanıcı adı veya şifre hatalı", None),  # outside the categories asked for
    ],
)
def test_classification_folds_turkish_i_and_can_be_limited(
    text: str, category: Category | None
) -> None:
    among = (Category.INVALID_SENDER, Category.INVALID_RECIPIENT)
    assert classify_text(text, among=among) == category
