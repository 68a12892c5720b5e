"""Klaxon client: push metrics, events and alerts from a Python trading bot.

    from klaxon_client import Klaxon

    with Klaxon("http://localhost:8080", token, source="grid-1", heartbeat_interval=30) as k:
        k.metrics({"equity": 10250.5, "daily_pnl": -120.0})
        k.event("position_stop_loss_hit", symbol="BTCUSDT", data={"loss": 42.1})

Items are queued and sent in batches by a background thread, retried with backoff when Klaxon
is unavailable, and every event and alert carries an idempotency ``id`` so that a retried
request is evaluated once.
"""

from ._client import Klaxon, __version__
from ._errors import (
    ClientClosedError,
    KlaxonError,
    QueueOverflowError,
    RejectedError,
    RetriesExhaustedError,
)
from ._logging import KlaxonHandler

__all__ = [
    "ClientClosedError",
    "Klaxon",
    "KlaxonError",
    "KlaxonHandler",
    "QueueOverflowError",
    "RejectedError",
    "RetriesExhaustedError",
    "__version__",
]
