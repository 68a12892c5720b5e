"""The client against a real Klaxon (conftest.py starts it)."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path
from typing import List

import pytest

from conftest import KlaxonServer, Proxy, wait_until
from klaxon_client import ClientClosedError, Klaxon, KlaxonError, KlaxonHandler, RejectedError

FAST = dict(flush_interval=0.1, backoff=0.05, max_backoff=0.2, retries=3, timeout=5)


def new_source(what: str) -> str:
    return f"py-{what}-{uuid.uuid4().hex[:8]}"


def klaxon_threads() -> List[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("klaxon-") and t.is_alive()]


def test_metrics_events_and_alerts_are_evaluated(klaxon: KlaxonServer) -> None:
    source = new_source("eval")
    errors: List[KlaxonError] = []
    with Klaxon(klaxon.url, klaxon.token, source=source, on_error=errors.append, **FAST) as k:
        k.metrics({"py_equity": 42.5, "equity": 10250.5})
        k.event("py_stop_loss_hit", symbol="BTCUSDT", severity="critical", data={"loss": 42.1})
        k.alert("py_kill_switch", "critical", "Kill switch pressed", labels={"symbol": "BTCUSDT"}, force=True)
        assert k.flush(timeout=10)
    assert errors == []

    # Each input raised its alert, and each alert reached the webhook receiver.
    equity = klaxon.recorder.wait_for("py_equity_low")[0]["alerts"][0]
    assert equity["labels"]["source"] == source and equity["severity"] == "critical"
    stop = klaxon.recorder.wait_for("py_stop_loss")[0]["alerts"][0]
    assert stop["annotations"]["title"] == "stop loss on BTCUSDT"
    direct = klaxon.recorder.wait_for("py_kill_switch")[0]["alerts"][0]
    assert direct["labels"] == {"source": source, "symbol": "BTCUSDT"}

    # The admin API lists them.
    listed = {a["name"]: a for a in klaxon.alerts(source)}
    assert set(listed) == {"py_equity_low", "py_stop_loss", "py_kill_switch"}
    assert listed["py_kill_switch"]["origin"] == "direct"
    assert all(a["status"] == "firing" for a in listed.values())
    assert klaxon.source(source)["lastSnapshotAt"] is not None


@pytest.mark.parametrize("lost", ["503", "drop"])
def test_a_retried_alert_notifies_once(klaxon: KlaxonServer, proxy: Proxy, lost: str) -> None:
    # Klaxon takes the first POST, but the client never hears so (a 503 or a dropped
    # connection): it sends the same batch again, and Klaxon must evaluate the alert once.
    proxy.lose_first = lost
    source = new_source(f"retry{lost}")
    name = f"py_retry_{lost}"
    errors: List[KlaxonError] = []
    with Klaxon(proxy.url, klaxon.token, source=source, on_error=errors.append, **FAST) as k:
        alert_id = k.alert(name, "critical", "Kill switch pressed", force=True)
        assert k.flush(timeout=15)
    assert errors == []

    first, second = proxy.posts("/v1/alerts")  # exactly two attempts
    assert first["klaxon_status"] == 202 and second["klaxon_status"] == 202  # both reached Klaxon
    assert first["answered"] == (503 if lost == "503" else None) and second["answered"] == 202
    assert first["body"] == second["body"] and first["body"][0]["id"] == alert_id
    assert first["request_id"] == second["request_id"]  # one request id for the log
    if lost == "503":
        assert second["at"] - first["at"] >= 0.9  # Retry-After: 1 was honoured

    klaxon.recorder.wait_for(name)
    # The same alert with a new id is a new occurrence: its notification counts 2. Had the
    # retry been evaluated too, it would count 3 and there would be three notifications.
    assert klaxon.post("/v1/alerts", {"name": name, "severity": "critical", "title": "again",
                                      "source": source, "force": True, "id": str(uuid.uuid4())}).status_code == 202
    told = klaxon.recorder.wait_for(name, 2)
    assert [n["alerts"][0]["occurrences"] for n in told] == [1, 2]
    assert [a["occurrences"] for a in klaxon.alerts(source)] == [2]
    assert len(klaxon.recorder.of(name)) == 2


def test_a_4xx_is_reported_with_its_field_and_not_retried(klaxon: KlaxonServer, proxy: Proxy) -> None:
    errors: List[KlaxonError] = []
    with Klaxon(proxy.url, klaxon.token, source=new_source("bad"), on_error=errors.append, **FAST) as k:
        good = k.event("trade_closed", data={"pnl": 12.5})
        bad = k.event("trade_closed", ts=1)  # before the year 2000: Klaxon refuses it
        assert k.flush(timeout=10)

    assert len(errors) == 1
    err = errors[0]
    assert isinstance(err, RejectedError) and err.kind == "rejected"
    assert (err.status, err.code, err.route) == (400, "invalid_input", "events")
    assert [e["path"] for e in err.errors] == ["[1].ts"]
    assert "[1].ts" in str(err) and "2000" in str(err)
    assert err.ids == [bad]  # only the item Klaxon named is dropped...
    assert klaxon.token not in str(err) and klaxon.token not in repr(err)

    # ...and it is never sent again; the good one goes out alone in a new request.
    refused, resent = proxy.posts("/v1/events")
    assert refused["klaxon_status"] == 400 and [i["id"] for i in refused["body"]] == [good, bad]
    assert resent["klaxon_status"] == 202 and [i["id"] for i in resent["body"]] == [good]


def test_the_logging_handler_turns_errors_into_events(klaxon: KlaxonServer) -> None:
    source = new_source("log")
    errors: List[KlaxonError] = []
    log = logging.getLogger(f"bot.{source}")
    log.propagate = False
    with Klaxon(klaxon.url, klaxon.token, source=source, on_error=errors.append, flush_interval=60) as k:
        handler = KlaxonHandler(k)
        log.addHandler(handler)
        try:
            log.warning("slippage 0.4%")  # below ERROR: not sent
            assert k.queued == 0
            try:
                {}["order"]
            except KeyError:
                log.exception("order %s failed", 42)
            log.critical("kill switch pressed")
            assert k.queued == 2
            assert k.flush(timeout=10)
        finally:
            log.removeHandler(handler)
    assert errors == []

    told = klaxon.recorder.wait_for("py_log_error", 2)
    alerts = [n["alerts"][0] for n in told]
    assert [a["annotations"]["title"] for a in alerts] == ["order 42 failed", "kill switch pressed"]
    assert [a["severity"] for a in alerts] == ["high", "critical"]
    assert "KeyError" in alerts[0]["annotations"]["description"]


def test_heartbeats_flow_and_close_stops_every_thread(klaxon: KlaxonServer) -> None:
    source = new_source("beat")
    k = Klaxon(klaxon.url, klaxon.token, source=source, heartbeat_interval=0.2, **FAST)
    assert {t.name for t in klaxon_threads()} >= {"klaxon-sender", "klaxon-heartbeat"}
    wait_until(lambda: (klaxon.source(source) or {}).get("lastHeartbeatAt"), 10, "a heartbeat")
    assert k.close(timeout=10)
    assert klaxon_threads() == []
    with pytest.raises(ClientClosedError):
        k.event("after_close")
    assert k.close() and k.flush()  # both idempotent


def test_items_queued_at_exit_are_sent(klaxon: KlaxonServer, tmp_path: Path) -> None:
    # No close(), no flush(), a long flush_interval: the atexit hook sends the alert.
    source = new_source("exit")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
        from klaxon_client import Klaxon
        k = Klaxon({klaxon.url!r}, sys.stdin.readline().strip(), source={source!r}, flush_interval=60)
        k.alert("py_at_exit", "warning", "sent at exit")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=klaxon.token + "\n", capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert not done.stderr  # nothing reported
    alerts = wait_until(lambda: klaxon.alerts(source), 10, "the alert sent at exit")
    assert [a["name"] for a in alerts] == ["py_at_exit"]
