"""The client's own rules, against fake servers (no Klaxon needed)."""

from __future__ import annotations

import logging
import math
import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any, Dict, List, Tuple

import pytest

from klaxon_client import (
    Klaxon,
    KlaxonError,
    QueueOverflowError,
    RejectedError,
    RetriesExhaustedError,
)
from klaxon_client._client import MAX_QUEUE, MAX_RETRY_AFTER, _retry_after

TOKEN = "secret-token-0123456789abcdef0123"
FAST = dict(flush_interval=0.05, backoff=0.01, max_backoff=0.05, timeout=2)


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_ids_are_fixed_when_queued_and_kept_by_retries(fake_klaxon) -> None:
    answers = iter([(503, {"error": "queue_unavailable", "message": "x"}, {"Retry-After": "0"}),
                    (500, {"error": "internal_error", "message": "x"}, {})])

    def respond(path: str, items: List[Dict[str, Any]]) -> Tuple[int, Any, Dict[str, str]]:
        return next(answers, (202, {"accepted": len(items)}, {}))

    fake = fake_klaxon(respond)
    with Klaxon(fake.url, TOKEN, source="grid-1", **FAST) as k:
        event_id = k.event("position_stop_loss_hit", symbol="BTCUSDT")
        alert_id = k.alert("kill_switch", "critical", "Kill switch pressed", id="my-own-id")
        assert alert_id == "my-own-id" and len(event_id) == 36
        assert k.flush(timeout=5)
    events = [r for r in fake.requests if r["path"] == "/v1/events"]
    alerts = [r for r in fake.requests if r["path"] == "/v1/alerts"]
    assert len(events) + len(alerts) == 4  # two refusals, then each route once
    # Whatever got the refusals was sent again as it was: same items, same ids.
    for sent in (events, alerts):
        assert all(r["items"] == sent[0]["items"] for r in sent)
        assert len({r["request_id"] for r in sent}) == 1
    assert events[0]["items"][0]["id"] == event_id


def _answered(fake_klaxon, answers, send):
    """Runs ``send(k)`` against a fake answering ``answers`` in turn, then 202: the fake, the
    errors reported and the waits before each retry (seen without sleeping)."""
    pending = iter(answers)

    def respond(path: str, items: List[Dict[str, Any]]) -> Tuple[int, Any, Dict[str, str]]:
        return next(pending, (202, {"accepted": len(items)}, {}))

    fake = fake_klaxon(respond)
    errors: List[KlaxonError] = []
    waits: List[float] = []
    with Klaxon(fake.url, TOKEN, on_error=errors.append, **FAST) as k:
        k._sleep = waits.append  # type: ignore[method-assign]
        result = send(k)
        assert k.flush(timeout=5)
    return fake, errors, waits, result


def test_408_and_425_are_retried_honouring_retry_after_then_succeed(fake_klaxon) -> None:
    fake, errors, waits, alert_id = _answered(
        fake_klaxon,
        [(408, {"error": "request_timeout", "message": "the request did not arrive in time"}, {}),
         (425, {"message": "too early"}, {"Retry-After": "20"})],
        lambda k: k.alert("kill_switch", "critical", "Kill switch pressed"),
    )
    assert errors == []
    assert len(fake.requests) == 3  # the 408, the 425, then accepted
    assert all(r["items"][0]["id"] == alert_id for r in fake.requests)
    assert len({r["request_id"] for r in fake.requests}) == 1
    # the backoff after the 408 (FAST: 0.005 to 0.01 s), then the 425's Retry-After over it
    assert len(waits) == 2 and 0.005 <= waits[0] <= 0.01 and waits[1] == 20.0


def test_a_retry_after_above_10_minutes_waits_10_minutes(fake_klaxon) -> None:
    a_day_ahead = format_datetime(datetime.now(timezone.utc) + timedelta(days=1), usegmt=True)
    fake, errors, waits, _ = _answered(
        fake_klaxon,
        [(429, {"error": "rate_limited", "message": "slow down"}, {"Retry-After": "3600"}),
         (503, {"error": "queue_unavailable", "message": "x"}, {"Retry-After": a_day_ahead}),
         (425, {"message": "too early"}, {"Retry-After": "601"})],
        lambda k: k.metrics({"equity": 1.0}),
    )
    assert errors == [] and len(fake.requests) == 4
    assert MAX_RETRY_AFTER == 600.0
    assert waits == [600.0, 600.0, 600.0]


def test_gives_up_after_the_retries_and_reports(fake_klaxon) -> None:
    fake = fake_klaxon(lambda path, items: (503, {"error": "queue_unavailable", "message": "Redis away"}, {}))
    errors: List[KlaxonError] = []
    with Klaxon(fake.url, TOKEN, retries=2, on_error=errors.append, **FAST) as k:
        k.metrics({"equity": 1.0})
    assert len(fake.requests) == 3
    (err,) = errors
    assert isinstance(err, RetriesExhaustedError) and err.attempts == 3 and err.status == 503
    assert "Redis away" in str(err) and err.items[0]["metrics"] == {"equity": 1.0}


def test_a_batch_too_large_is_split(fake_klaxon) -> None:
    def respond(path: str, items: List[Dict[str, Any]]) -> Tuple[int, Any, Dict[str, str]]:
        if len(items) > 2:
            return 413, {"error": "batch_too_large", "message": "more than 2 items"}, {}
        return 202, {"accepted": len(items)}, {}

    fake = fake_klaxon(respond)
    errors: List[KlaxonError] = []
    with Klaxon(fake.url, TOKEN, on_error=errors.append, flush_interval=60) as k:
        for n in range(7):
            k.metrics({"n": n})
    assert errors == []
    accepted = [i["metrics"]["n"] for r in fake.requests if len(r["items"]) <= 2 for i in r["items"]]
    assert accepted == list(range(7))


def test_a_refusal_that_names_no_item_drops_the_batch(fake_klaxon) -> None:
    fake = fake_klaxon(
        lambda path, items: (403, {"error": "forbidden_source", "message": "no", "errors": [{"path": "", "message": "no"}]}, {})
    )
    errors: List[KlaxonError] = []
    with Klaxon(fake.url, TOKEN, on_error=errors.append, flush_interval=60) as k:
        ids = [k.event("x"), k.event("y")]
    assert len(fake.requests) == 1
    (err,) = errors
    assert isinstance(err, RejectedError) and err.status == 403 and err.ids == ids


def test_the_oldest_items_are_dropped_when_the_queue_is_full() -> None:
    errors: List[KlaxonError] = []
    k = Klaxon(dead_url(), TOKEN, retries=0, on_error=errors.append, batch_max=50_000, flush_interval=60)
    for n in range(MAX_QUEUE + 5):
        k.metrics({"n": n})
    assert k.queued == MAX_QUEUE
    assert k.close(timeout=10)
    overflow = [e for e in errors if isinstance(e, QueueOverflowError)]
    assert len(overflow) == 1 and overflow[0].dropped == 5
    assert [i["metrics"]["n"] for i in overflow[0].items] == [0, 1, 2, 3, 4]
    (failed,) = [e for e in errors if isinstance(e, RetriesExhaustedError)]
    assert failed.dropped == MAX_QUEUE and failed.items[0]["metrics"]["n"] == 5


def test_the_token_never_shows(fake_klaxon, caplog: pytest.LogCaptureFixture) -> None:
    # A server that echoes the token back, and one that does not answer at all.
    fake = fake_klaxon(lambda path, items: (400, {"error": "invalid_input", "message": f"bad {TOKEN}"}, {}))
    errors: List[KlaxonError] = []
    with caplog.at_level(logging.DEBUG, logger="klaxon_client"):
        for url, on_error in ((fake.url, errors.append), (dead_url(), None), (fake.url, None)):
            k = Klaxon(url, TOKEN, retries=1, on_error=on_error, **FAST)
            assert TOKEN not in repr(k) and TOKEN not in str(k)
            k.event("x")
            k.close()
    assert isinstance(errors[0], RejectedError) and "[token]" in str(errors[0])
    assert len(caplog.records) >= 2  # the two without on_error were logged
    for text in [str(e) for e in errors] + [repr(e) for e in errors] + [r.getMessage() for r in caplog.records]:
        assert TOKEN not in text
    with pytest.raises(ValueError) as bad:
        Klaxon("http://localhost:8080", "has a space")
    assert "has a space" not in str(bad.value)


def test_values_klaxon_would_refuse_fail_at_the_call() -> None:
    with Klaxon(dead_url(), TOKEN, retries=0, flush_interval=60) as k:
        with pytest.raises(ValueError):
            k.metrics({"equity": math.nan})
        with pytest.raises(TypeError):
            k.metrics({"equity": "100"})
        with pytest.raises(ValueError):
            k.event("x", data={"loss": math.inf})
        with pytest.raises(TypeError):
            k.event("x", data={"when": object()})
        with pytest.raises(TypeError):
            k.metrics({"equity": 1}, labels={"symbol": 1})  # type: ignore[dict-item]
        with pytest.raises(ValueError):
            k.alert("x", "urgent", "title")
        with pytest.raises(ValueError):
            k.event("x", id="has space")
        k.metrics({"ws_connected": True})  # a bool counts as 1
        assert k.queued == 1


def test_retry_after() -> None:
    assert _retry_after("5") == 5.0
    assert _retry_after(" 0 ") == 0.0
    assert _retry_after("1.5") == 1.5
    assert _retry_after("junk") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    soon = datetime.now(timezone.utc) + timedelta(seconds=30)
    assert 25 <= (_retry_after(format_datetime(soon, usegmt=True)) or 0) <= 30


def test_retry_after_is_read_as_the_typescript_client_reads_it() -> None:
    # Not delay-seconds, nor an HTTP-date: ignored (src/client/retry.ts parseRetryAfter agrees).
    for value in (None, "", "  ", "-5", "+5", "1e3", "inf", "nan", "5_0", "0x10", "5s", "soon"):
        assert _retry_after(value) is None, value


def test_retry_after_is_capped_at_10_minutes() -> None:
    assert MAX_RETRY_AFTER == 600.0
    assert _retry_after("600") == 600.0
    assert _retry_after("599.5") == 599.5
    assert _retry_after("601") == 600.0
    assert _retry_after("100000") == 600.0
    assert _retry_after("1" + "0" * 400) == 600.0  # inf as a float: still capped, not ignored
    a_day_ahead = datetime.now(timezone.utc) + timedelta(days=1)
    assert _retry_after(format_datetime(a_day_ahead, usegmt=True)) == 600.0
