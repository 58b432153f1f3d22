import statistics
import time
from datetime import timedelta

import jwt
import pytest

from helpdesk.core import security
from helpdesk.core.errors import InvalidInput, NotAuthenticated, RateLimited
from helpdesk.domain import auth
from tests.conftest import PASSWORD, People


def test_sign_in_is_case_insensitive_on_the_email(people: People) -> None:
    assert auth.authenticate("  Anna@EXAMPLE.com ", PASSWORD, "10.1.0.1").id == people.employee_a.id


def test_unknown_email_and_wrong_password_get_the_same_message(people: People) -> None:
    with pytest.raises(InvalidInput) as unknown:
        auth.authenticate("nobody@example.com", PASSWORD, "10.1.0.2")
    with pytest.raises(InvalidInput) as wrong:
        auth.authenticate("anna@example.com", "not the password", "10.1.0.2")
    assert str(unknown.value) == str(wrong.value)


def test_unknown_email_and_wrong_password_take_similar_time(people: People) -> None:
    def median(email: str) -> float:
        times = []
        for i in range(5):
            auth.reset_throttle()
            start = time.perf_counter()
            with pytest.raises(InvalidInput):
                auth.authenticate(email, f"wrong password {i}", "10.1.0.3")
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    unknown, known = median("nobody@example.com"), median("anna@example.com")
    # Both verify one argon2 hash; without the dummy hash the unknown email would be ~100x faster.
    assert 0.5 < unknown / known < 2.0


def test_sign_in_is_throttled_per_account_and_address(people: People) -> None:
    for _ in range(5):
        with pytest.raises(InvalidInput):
            auth.authenticate("anna@example.com", "wrong", "10.2.0.1")
    # Guessing from that address stops, even with the right password...
    with pytest.raises(RateLimited):
        auth.authenticate("anna@example.com", PASSWORD, "10.2.0.1")
    # ...while the owner, elsewhere, still signs in; another account is not affected.
    assert auth.authenticate("anna@example.com", PASSWORD, "10.2.1.1")
    assert auth.authenticate("ben@example.com", PASSWORD, "10.2.0.1")


def test_a_stranger_cannot_lock_the_owner_out_of_their_own_browser(people: People) -> None:
    owner_browser = "owner-browser"
    device = auth.device_proof(people.employee_a.id, owner_browser)
    # Guesses spread over many addresses fill the account-wide limit (20 an hour)...
    for i in range(20):
        with pytest.raises(InvalidInput):
            auth.authenticate("anna@example.com", "wrong", f"10.4.0.{i}")
    # ...so a browser the account never used is slowed down, right password or not...
    with pytest.raises(RateLimited):
        auth.authenticate("anna@example.com", PASSWORD, "10.4.1.1", "new-browser")
    with pytest.raises(RateLimited):  # a proof made for another browser does not count
        auth.authenticate("anna@example.com", PASSWORD, "10.4.1.1", "new-browser", device)
    # ...but the owner's own browser signs in.
    assert auth.authenticate("anna@example.com", PASSWORD, "10.4.1.2", owner_browser, device)


def test_sign_in_is_throttled_per_client_address(people: People) -> None:
    for i in range(30):
        with pytest.raises(InvalidInput):
            auth.authenticate(f"user{i}@example.com", "wrong", "10.3.0.1")
    with pytest.raises(RateLimited):
        auth.authenticate("ben@example.com", PASSWORD, "10.3.0.1")
    assert auth.authenticate("ben@example.com", PASSWORD, "10.3.0.2")


def test_session_token_round_trip_and_logout(people: People) -> None:
    token = auth.start_session(people.technician)
    assert auth.verify(token).user.id == people.technician.id
    auth.logout(token)
    with pytest.raises(NotAuthenticated):
        auth.verify(token)
    # Another session of the same user lives on.
    assert auth.verify(auth.start_session(people.technician))


def forge(payload: dict, key: bytes | None = None) -> str:
    return jwt.encode(payload, key or security.signing_key(), algorithm="HS256")


def test_tokens_are_refused_when_tampered_expired_or_of_another_kind(people: People) -> None:
    uid = str(people.employee_a.id)
    now = int(time.time())
    base = {"sub": uid, "ver": 1, "typ": "session", "jti": "x", "iat": now, "exp": now + 60}
    assert auth.verify(forge(base))
    bad = [
        forge({**base, "exp": now - 1}),
        forge({k: v for k, v in base.items() if k != "exp"}),
        forge({k: v for k, v in base.items() if k != "ver"}),
        forge({**base, "typ": "login"}),
        forge({**base, "ver": 2}),
        forge(base, key=b"k" * 48),
        jwt.encode(base, None, algorithm="none"),
        "not a token",
        "",
    ]
    for token in bad:
        with pytest.raises(NotAuthenticated):
            auth.verify(token)


def test_signing_key_is_generated_once_into_the_data_dir(data_dir) -> None:
    key = security.signing_key()
    path = data_dir / "secret.key"
    assert path.read_bytes() == key and len(key) >= 32
    assert path.stat().st_mode & 0o077 == 0


def test_exchange_codes_work_once_and_expire(people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    token = auth.start_session(people.employee_a)
    code = auth.exchange_code(token, "browser-1")
    assert auth.redeem_code(code, "browser-1") == token
    assert auth.redeem_code(code, "browser-1") is None
    # A code works only in the browser that signed in (login CSRF: an attacker's code sent to a victim).
    elsewhere = auth.exchange_code(token, "attacker")
    assert auth.redeem_code(elsewhere, "victim") is None
    assert auth.redeem_code(auth.exchange_code(token, "x"), None) is None
    late = auth.exchange_code(token, "browser-1")
    real = time.monotonic
    monkeypatch.setattr(time, "monotonic", lambda: real() + auth.EXCHANGE_SECONDS + 1)
    assert auth.redeem_code(late, "browser-1") is None


def test_session_lifetime_follows_settings(people: People) -> None:
    token, _claims = security.issue_token(people.employee_a.id, 1, security.SESSION, timedelta(seconds=-1))
    with pytest.raises(NotAuthenticated):
        auth.verify(token)
