"""EmulatorBase over real HTTP on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from ileti.emulation import (
    BadRequest,
    EmulatedMessage,
    EmulatorBase,
    EmulatorRequest,
    EmulatorResponse,
    ServedApp,
    VirtualClock,
    route,
    serve,
)

Fetch = Callable[..., Any]


class Toy(EmulatorBase):
    documented_errors: ClassVar[dict[str, str]] = {
        "401": "AuthenticationError",
        "402": "InsufficientCredit",
    }

    def __init__(self, *, clock: VirtualClock | None = None) -> None:
        super().__init__(clock=clock)
        self.balance = Decimal("10.5")
        self.counter = 0

    def credentials(self) -> dict[str, str]:
        return {"api_key": "toy-key"}

    def error_response(self, code: str, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.json({"error": int(code)}, status=int(code))

    @route("POST", "/send")
    def send(self, request: EmulatorRequest) -> EmulatorResponse:
        payload = request.json()
        if not isinstance(payload, dict) or "to" not in payload:
            raise BadRequest("missing 'to'")
        self.balance -= 1
        message = self.record_message(
            EmulatedMessage(
                package_id=f"pkg-{len(self.messages) + 1}",
                recipient=payload["to"],
                text=payload.get("text", ""),
                wire_encoding="gsm",
                parts=1,
                sender=None,
            )
        )
        return EmulatorResponse.json({"id": message.package_id, "balance": self.balance})

    @route("GET", "/balance")
    def get_balance(self, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.json({"balance": self.balance})

    @route(("GET", "POST"), "/echo")
    def echo(self, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.json(
            {
                "method": request.method,
                "q": request.arg("q"),
                "missing": request.arg("nope"),
                "key": request.header("X-API-KEY"),
                "form": request.form()
                if request.content_type == "application/x-www-form-urlencoded"
                else None,
            }
        )

    @route("GET", "/messages/latest")
    def latest(self, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.text("latest")

    @route("GET", "/messages/{message_id}")
    def message(self, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.text(f"message {request.path_params['message_id']}")

    @route("GET", "/xml")
    def xml(self, request: EmulatorRequest) -> EmulatorResponse:
        return EmulatorResponse.xml("<r>ok</r>")

    @route("POST", "/count")
    def count(self, request: EmulatorRequest) -> EmulatorResponse:
        seen = self.counter
        time.sleep(0.001)  # widen the window a missing lock would lose updates in
        self.counter = seen + 1
        return EmulatorResponse.json({"count": self.counter})

    @route("GET", "/boom")
    def boom(self, request: EmulatorRequest) -> EmulatorResponse:
        raise RuntimeError("kaboom-secret-detail")

    @route("GET", "/wrong")
    def wrong(self, request: EmulatorRequest) -> EmulatorResponse:
        return "not a response"  # type: ignore[return-value]


@pytest.fixture
def toy() -> Toy:
    return Toy(clock=VirtualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)))


@pytest.fixture
def served(toy: Toy) -> Iterator[ServedApp]:
    with serve(toy) as served:
        yield served


def test_routes_to_the_handler(served: ServedApp, toy: Toy, fetch: Fetch) -> None:
    reply = fetch(served.base_url, "POST", "/send", json.dumps({"to": "+905551112233"}))
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert reply.headers["content-length"] == str(len(reply.body))
    assert json.loads(reply.body) == {"id": "pkg-1", "balance": 9.5}
    assert toy.messages == [
        EmulatedMessage("pkg-1", "+905551112233", "", "gsm", 1, None),
    ]
    assert json.loads(fetch(served.base_url, "GET", "/balance").body) == {"balance": 9.5}


def test_unknown_path_is_404_and_recorded(served: ServedApp, toy: Toy, fetch: Fetch) -> None:
    reply = fetch(served.base_url, "GET", "/nowhere")
    assert reply.status == 404
    assert reply.headers["content-type"].startswith("text/plain")
    assert [(r.method, r.path) for r in toy.received] == [("GET", "/nowhere")]


def test_wrong_method_is_405_with_allow(served: ServedApp, fetch: Fetch) -> None:
    reply = fetch(served.base_url, "DELETE", "/echo")
    assert reply.status == 405
    assert reply.headers["allow"] == "GET, POST"
    assert fetch(served.base_url, "GET", "/send").status == 405


def test_a_route_may_take_several_methods(served: ServedApp, fetch: Fetch) -> None:
    assert json.loads(fetch(served.base_url, "GET", "/echo").body)["method"] == "GET"
    assert json.loads(fetch(served.base_url, "POST", "/echo", b"").body)["method"] == "POST"


def test_templates_fill_path_params_and_exact_paths_win(
    served: ServedApp, toy: Toy, fetch: Fetch
) -> None:
    assert fetch(served.base_url, "GET", "/messages/latest").body == b"latest"
    assert fetch(served.base_url, "GET", "/messages/%C3%A7-42").body == "message ç-42".encode()
    assert toy.received[-1].path_params == {"message_id": "ç-42"}
    assert fetch(served.base_url, "GET", "/messages/a/b").status == 404
    assert fetch(served.base_url, "GET", "/messages/").status == 404


def test_records_every_detail_of_a_request(served: ServedApp, toy: Toy, fetch: Fetch) -> None:
    fetch(served.base_url, "GET", "/echo?q=%C5%9Fey&q=2&empty=", headers={"X-Api-Key": "k1"})
    toy.clock.advance(60)
    body = json.dumps({"to": "+905551112233", "text": "ğüş"}).encode()
    fetch(served.base_url, "POST", "/send", body, headers={"Content-Type": "application/json"})
    first, second = toy.received
    assert first.method == "GET"
    assert first.path == "/echo"
    assert first.query == {"q": ["şey", "2"], "empty": [""]}
    assert first.query_string == "q=%C5%9Fey&q=2&empty="
    assert first.arg("q") == "şey"
    assert first.header("x-api-key") == first.header("X-API-KEY") == "k1"
    assert first.body == b""
    assert first.received_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert second.received_at == datetime(2026, 3, 1, 9, 1, tzinfo=UTC)
    assert second.body == body
    assert second.content_type == "application/json"
    assert second.json() == {"to": "+905551112233", "text": "ğüş"}


def test_reads_query_headers_and_forms_over_http(served: ServedApp, fetch: Fetch) -> None:
    reply = fetch(
        served.base_url,
        "POST",
        "/echo?q=1",
        "user=ali&msg=%C3%87ok+g%C3%BCzel&msg=2&blank=",
        headers={"Content-Type": "application/x-www-form-urlencoded", "x-api-key": "abc"},
    )
    assert json.loads(reply.body) == {
        "method": "POST",
        "q": "1",
        "missing": None,
        "key": "abc",
        "form": {"user": ["ali"], "msg": ["Çok güzel", "2"], "blank": [""]},
    }


def test_invalid_json_is_a_400_and_changes_nothing(
    served: ServedApp, toy: Toy, fetch: Fetch
) -> None:
    reply = fetch(
        served.base_url, "POST", "/send", b'{"to": ', {"Content-Type": "application/json"}
    )
    assert reply.status == 400
    assert b"not valid JSON" in reply.body
    reply = fetch(
        served.base_url, "POST", "/send", b"\xff\xfe", {"Content-Type": "application/json"}
    )
    assert reply.status == 400
    assert toy.balance == Decimal("10.5")
    assert toy.messages == []


def test_bad_request_raised_by_a_handler_is_a_400(served: ServedApp, fetch: Fetch) -> None:
    reply = fetch(served.base_url, "POST", "/send", json.dumps({"text": "hi"}))
    assert (reply.status, reply.body) == (400, b"missing 'to'")


def test_bad_request_answer_can_be_provider_shaped(fetch: Fetch) -> None:
    class JsonErrors(Toy):
        def bad_request(self, error: BadRequest, request: EmulatorRequest) -> EmulatorResponse:
            return EmulatorResponse.json({"code": "E_BAD", "detail": str(error)}, status=422)

    with serve(JsonErrors()) as served:
        reply = fetch(served.base_url, "POST", "/send", b"[]")
    assert reply.status == 422
    assert json.loads(reply.body) == {"code": "E_BAD", "detail": "missing 'to'"}


def test_force_error_answers_the_next_request_only(
    served: ServedApp, toy: Toy, fetch: Fetch
) -> None:
    toy.force_error("402")
    queued = toy.pending_errors
    reply = fetch(served.base_url, "POST", "/send", json.dumps({"to": "+905551112233"}))
    assert (reply.status, json.loads(reply.body)) == (402, {"error": 402})
    assert toy.messages == []  # the handler never ran
    left = toy.pending_errors
    assert queued == (("402", None),)
    assert left == ()
    reply = fetch(served.base_url, "POST", "/send", json.dumps({"to": "+905551112233"}))
    assert reply.status == 200
    assert len(toy.messages) == 1


def test_forced_errors_queue_and_skip_unrouted_requests(
    served: ServedApp, toy: Toy, fetch: Fetch
) -> None:
    toy.force_error("401")
    toy.force_error("402")
    assert fetch(served.base_url, "GET", "/nowhere").status == 404
    assert fetch(served.base_url, "PUT", "/balance").status == 405
    assert fetch(served.base_url, "GET", "/balance").status == 401
    assert fetch(served.base_url, "GET", "/balance").status == 402
    assert fetch(served.base_url, "GET", "/balance").status == 200


def test_force_error_can_target_a_path(served: ServedApp, toy: Toy, fetch: Fetch) -> None:
    toy.force_error("401", path="/send")
    toy.force_error("402", path="/messages/{message_id}")
    assert fetch(served.base_url, "GET", "/balance").status == 200
    assert fetch(served.base_url, "GET", "/messages/latest").status == 200
    assert fetch(served.base_url, "GET", "/messages/7").status == 402
    assert fetch(served.base_url, "POST", "/send", b"{}").status == 401
    assert toy.pending_errors == ()


def test_force_error_refuses_undocumented_codes(toy: Toy) -> None:
    with pytest.raises(ValueError, match=r"'999' is not a documented error.*401, 402"):
        toy.force_error("999")
    with pytest.raises(ValueError, match="starts with '/'"):
        toy.force_error("401", path="send")
    assert toy.pending_errors == ()


def test_handler_crash_is_a_500_with_the_traceback_on_stderr_only(
    served: ServedApp, fetch: Fetch, capfd: pytest.CaptureFixture[str]
) -> None:
    reply = fetch(served.base_url, "GET", "/boom")
    assert reply.status == 500
    assert reply.headers["content-type"].startswith("text/plain")
    assert b"kaboom" not in reply.body
    assert b"Traceback" not in reply.body
    err = capfd.readouterr().err
    assert "Traceback" in err
    assert "RuntimeError: kaboom-secret-detail" in err


def test_a_handler_returning_junk_is_a_500(
    served: ServedApp, fetch: Fetch, capfd: pytest.CaptureFixture[str]
) -> None:
    assert fetch(served.base_url, "GET", "/wrong").status == 500
    assert "not an EmulatorResponse" in capfd.readouterr().err


def test_requests_are_served_one_at_a_time_under_the_lock(
    served: ServedApp, toy: Toy, fetch: Fetch
) -> None:
    errors: list[BaseException] = []

    def client() -> None:
        try:
            for _ in range(5):
                assert fetch(served.base_url, "POST", "/count", b"").status == 200
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert toy.counter == 60
    assert len(toy.received) == 60


def test_the_server_does_not_log_requests(
    served: ServedApp, fetch: Fetch, capfd: pytest.CaptureFixture[str]
) -> None:
    fetch(served.base_url, "GET", "/balance")
    fetch(served.base_url, "GET", "/nowhere")
    assert capfd.readouterr().err == ""


def test_xml_answer(served: ServedApp, fetch: Fetch) -> None:
    reply = fetch(served.base_url, "GET", "/xml")
    assert reply.headers["content-type"] == "application/xml"
    assert reply.body == b"<r>ok</r>"


def test_subclasses_inherit_and_override_routes(fetch: Fetch) -> None:
    class Plain(Toy):
        def get_balance(self, request: EmulatorRequest) -> EmulatorResponse:
            return EmulatorResponse.text("overridden")

    class Moved(Toy):
        @route("GET", "/v2/balance")
        def get_balance(self, request: EmulatorRequest) -> EmulatorResponse:
            return EmulatorResponse.text("moved")

    with serve(Plain()) as plain, serve(Moved()) as moved:
        assert fetch(plain.base_url, "GET", "/balance").body == b"overridden"
        assert fetch(moved.base_url, "GET", "/v2/balance").body == b"moved"
        assert fetch(moved.base_url, "GET", "/balance").status == 404
        assert fetch(moved.base_url, "GET", "/xml").status == 200


def test_class_definition_errors() -> None:
    with pytest.raises(TypeError, match="declares GET /x twice"):

        class Twice(EmulatorBase):
            @route("GET", "/x")
            def a(self, request: EmulatorRequest) -> EmulatorResponse:
                return EmulatorResponse()

            @route(("GET", "POST"), "/x")
            def b(self, request: EmulatorRequest) -> EmulatorResponse:
                return EmulatorResponse()

    with pytest.raises(TypeError, match="unknown ileti errors: \\['AuthError'\\]"):

        class Typo(EmulatorBase):
            documented_errors: ClassVar[dict[str, str]] = {"401": "AuthError"}

    with pytest.raises(ValueError, match="starts with '/'"):
        route("GET", "x")
    with pytest.raises(ValueError, match="not an HTTP method"):
        route("get post", "/x")
    with pytest.raises(ValueError, match="malformed placeholder"):
        route("GET", "/x/{bad-name}")


def test_base_hooks_must_be_implemented(fetch: Fetch, capfd: pytest.CaptureFixture[str]) -> None:
    class Bare(EmulatorBase):
        documented_errors: ClassVar[dict[str, str]] = {"E1": "Rejected"}

        @route("GET", "/ping")
        def ping(self, request: EmulatorRequest) -> EmulatorResponse:
            return EmulatorResponse.text("pong")

    bare = Bare()
    with pytest.raises(NotImplementedError):
        bare.credentials()
    bare.force_error("E1")
    with serve(bare) as served:
        assert fetch(served.base_url, "GET", "/ping").status == 500
        assert fetch(served.base_url, "GET", "/ping").body == b"pong"
    assert "must implement error_response()" in capfd.readouterr().err


def test_credentials_come_from_the_subclass(toy: Toy) -> None:
    assert toy.credentials() == {"api_key": "toy-key"}


def test_a_new_clock_is_made_when_none_is_given() -> None:
    assert isinstance(Toy().clock, VirtualClock)
    shared = VirtualClock()
    assert Toy(clock=shared).clock is shared


def test_received_at_follows_the_shared_clock(served: ServedApp, toy: Toy, fetch: Fetch) -> None:
    fetch(served.base_url, "GET", "/balance")
    toy.clock.advance(timedelta(hours=1))
    fetch(served.base_url, "GET", "/balance")
    stamps = [r.received_at for r in toy.received]
    assert stamps[1] is not None
    assert stamps[0] is not None
    assert stamps[1] - stamps[0] == timedelta(hours=1)


def test_emulated_approves_senders_and_sets_the_credit() -> None:
    from ileti.testing import emulated

    with emulated("testprov", senders=["FIRMA"], credit=7) as em:
        assert em.client.balance().amount == 7
        assert em.client.send("05321112233", "Merhaba", sender="FIRMA").accepted
        assert em.emulator.messages[-1].sender == "FIRMA"
        assert em.client.balance().amount == 6


def test_configure_checks_before_changing_anything() -> None:
    from ileti import InvalidSender
    from ileti.host import load_provider

    emulator = load_provider("testprov").plugin.provider_emulator(clock=None)
    with pytest.raises(InvalidSender, match="3 to 11 characters"):
        emulator.configure(senders=["OK1", "X"], credit=5)
    with pytest.raises(ValueError, match="from 0 up"):
        emulator.configure(senders=["OK1"], credit=-1)
    assert emulator.approved == ["ILETI"]
    assert emulator.credit == Decimal(100)
