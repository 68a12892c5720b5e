"""The client: a bounded queue per route, one sender thread, retries with backoff."""

from __future__ import annotations

import atexit
import json
import logging
import math
import numbers
import random
import re
import threading
import time
import uuid
from collections import deque
from datetime import date, datetime, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Set, Tuple, Union
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from ._errors import (
    ClientClosedError,
    KlaxonError,
    QueueOverflowError,
    RejectedError,
    RetriesExhaustedError,
)

__version__ = "0.1.0"

log = logging.getLogger("klaxon_client")

#: The ingest routes, as ``POST /v1/<route>``.
ROUTES = ("metrics", "events", "alerts")
#: Items queued at most, all routes together; beyond it the oldest are dropped (and reported).
MAX_QUEUE = 10_000
#: A request body stays under Klaxon's default ``server.body_limit`` (1 MiB).
MAX_BODY_BYTES = 1_000_000
#: A ``Retry-After`` longer than this is taken as this (seconds): 10 minutes, as in the
#: TypeScript client (src/client/retry.ts, ``MAX_RETRY_AFTER_MS``).
MAX_RETRY_AFTER = 600.0
#: Answers worth another try, besides every 5xx: timeout, too early, too many requests (the
#: TypeScript client and Klaxon's own channels retry the same).
RETRYABLE_4XX = frozenset([408, 425, 429])
#: At interpreter exit, how long the last items get to go out (seconds).
EXIT_TIMEOUT = 30.0
#: Dropped items an overflow report carries (the count is always exact).
OVERFLOW_SAMPLE = 100

# Klaxon's severities and the aliases it accepts (case-insensitive), docs/api.md.
SEVERITIES = frozenset(
    ["critical", "high", "warning", "info", "error", "warn", "medium", "low", "debug", "fatal"]
)

Timestamp = Union[int, float, str, datetime]
OnError = Callable[[KlaxonError], None]
_Item = Tuple[int, bytes]  # (sequence number, the item as JSON)


class Klaxon:
    """A Klaxon client. Thread-safe: any thread may push; one background thread sends.

    ``metrics()``, ``event()``, ``alert()`` and ``heartbeat()`` only queue (they never block
    on the network) and raise ``TypeError``/``ValueError`` at once for an item Klaxon would
    refuse for its types (a ``NaN``, a label that is not a string, an unknown severity).
    Batches go out every ``flush_interval`` seconds, or as soon as a route has ``batch_max``
    items. ``flush()`` sends what is queued and waits; ``close()`` (or leaving a ``with``
    block, or the interpreter exiting) flushes and stops the threads.

    Delivery: 5xx, 408, 425, 429, timeouts and connection errors are retried ``retries`` times
    with exponential backoff (``backoff`` doubling up to ``max_backoff`` seconds, with jitter,
    and at least the answer's ``Retry-After``, at most 10 minutes of it). Other 4xx answers are
    not retried. Items that cannot be delivered are dropped and reported to ``on_error(err)``
    (a ``KlaxonError``), called from the sender thread; without ``on_error`` they are logged on
    the ``klaxon_client`` logger.
    """

    def __init__(
        self,
        url: str,
        token: str,
        source: Optional[str] = None,
        batch_max: int = 500,
        flush_interval: float = 1.0,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30,
        timeout: float = 10,
        heartbeat_interval: Optional[float] = None,
        on_error: Optional[OnError] = None,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError("url must be an http:// or https:// URL, e.g. http://localhost:8080")
        if not isinstance(token, str) or not token:
            raise ValueError("token must be a non-empty string")
        if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in token):
            raise ValueError("token must not contain spaces or control characters")
        if source is not None and not isinstance(source, str):
            raise TypeError("source must be a string")
        if batch_max < 1:
            raise ValueError("batch_max must be at least 1")
        if flush_interval <= 0:
            raise ValueError("flush_interval must be more than 0")
        if retries < 0 or backoff < 0 or max_backoff < 0 or timeout <= 0:
            raise ValueError("retries, backoff and max_backoff must be >= 0, timeout > 0")
        if heartbeat_interval is not None and heartbeat_interval <= 0:
            raise ValueError("heartbeat_interval must be more than 0")

        self._base = url.rstrip("/")
        self._shown_url = _without_userinfo(self._base)
        self._token = token
        self._source = source
        self._batch_max = int(batch_max)
        self._flush_interval = float(flush_interval)
        self._retries = int(retries)
        self._backoff = float(backoff)
        self._max_backoff = float(max_backoff)
        self._timeout = float(timeout)
        self._heartbeat_interval = heartbeat_interval
        self._on_error = on_error
        self._random = random.Random()

        self._session = requests.Session()
        # The client decides what is retried: urllib3 retries nothing on its own.
        adapter = HTTPAdapter(max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "User-Agent": f"klaxon-python/{__version__}",
        }

        self._cond = threading.Condition(threading.Lock())
        self._queues: Dict[str, Deque[_Item]] = {route: deque() for route in ROUTES}
        self._queued = 0
        self._seq = 0
        self._dropped = 0
        self._dropped_sample: List[bytes] = []
        self._flush_requested = 0
        self._flush_done = 0
        self._closed = False  # no more items are taken
        self._stopped = False  # the sender has exited
        self._send_lock = threading.RLock()  # on_error may call flush() on the sender thread

        self._sender = threading.Thread(target=self._run, name="klaxon-sender", daemon=True)
        self._sender.start()
        self._heartbeat_stop = threading.Event()
        self._heartbeat_thread: Optional[threading.Thread] = None
        if heartbeat_interval is not None:
            self._heartbeat_thread = threading.Thread(
                target=self._beat, name="klaxon-heartbeat", daemon=True
            )
            self._heartbeat_thread.start()
        atexit.register(self._at_exit)

    # ------------------------------------------------------------------ pushing

    def metrics(
        self,
        values: Mapping[str, Union[int, float]],
        labels: Optional[Mapping[str, str]] = None,
        ts: Optional[Timestamp] = None,
        source: Optional[str] = None,
    ) -> None:
        """Queues a snapshot of metrics (``{"equity": 10250.5}``) for ``POST /v1/metrics``.

        Values must be finite numbers (``True``/``False`` count as 1/0). ``ts`` defaults to now
        (the time of the call, not of the send).
        """
        if not isinstance(values, Mapping) or not values:
            raise TypeError("metrics takes a non-empty dict of {name: number}")
        clean: Dict[str, Union[int, float]] = {}
        for name, value in values.items():
            if not isinstance(name, str):
                raise TypeError(f"metric names must be strings, got {type(name).__name__}")
            clean[name] = _number(value, f"metrics[{name!r}]")
        item: Dict[str, Any] = {}
        self._put_source(item, source)
        item["ts"] = _timestamp(ts)
        item["metrics"] = clean
        if labels:
            item["labels"] = _labels(labels)
        self._enqueue("metrics", item)

    def event(
        self,
        type: str,
        data: Optional[Mapping[str, Any]] = None,
        severity: Optional[str] = None,
        symbol: Optional[str] = None,
        ts: Optional[Timestamp] = None,
        source: Optional[str] = None,
        id: Optional[str] = None,
    ) -> str:
        """Queues an event for ``POST /v1/events``; returns its idempotency ``id`` (a new UUID
        unless given), which every retry of it carries."""
        if not isinstance(type, str) or not type:
            raise TypeError("event type must be a non-empty string")
        item: Dict[str, Any] = {}
        self._put_source(item, source)
        item["type"] = type
        item["ts"] = _timestamp(ts)
        item["id"] = _idempotency_id(id)
        if severity is not None:
            item["severity"] = _severity(severity)
        if symbol is not None:
            if not isinstance(symbol, str):
                raise TypeError("symbol must be a string")
            item["symbol"] = symbol
        if data is not None:
            if not isinstance(data, Mapping):
                raise TypeError("event data must be a dict")
            item["data"] = dict(data)
        self._enqueue("events", item)
        return item["id"]

    def alert(
        self,
        name: str,
        severity: str,
        title: str,
        message: Optional[str] = None,
        labels: Optional[Mapping[str, str]] = None,
        value: Optional[Union[int, float]] = None,
        force: bool = False,
        status: str = "firing",
        id: Optional[str] = None,
        source: Optional[str] = None,
        ts: Optional[Timestamp] = None,
    ) -> str:
        """Queues an alert the bot raises itself (``POST /v1/alerts``); returns its ``id``.

        ``force=True`` skips the dedup cap; ``status="resolved"`` ends the alert of the same
        name and labels.
        """
        if not isinstance(name, str) or not name:
            raise TypeError("alert name must be a non-empty string")
        if not isinstance(title, str) or not title:
            raise TypeError("alert title must be a non-empty string")
        if status not in ("firing", "resolved"):
            raise ValueError("status must be 'firing' or 'resolved'")
        item: Dict[str, Any] = {}
        self._put_source(item, source)
        item["name"] = name
        item["severity"] = _severity(severity)
        item["title"] = title
        item["ts"] = _timestamp(ts)
        item["id"] = _idempotency_id(id)
        if message is not None:
            if not isinstance(message, str):
                raise TypeError("alert message must be a string")
            item["message"] = message
        if labels:
            item["labels"] = _labels(labels)
        if value is not None:
            item["value"] = _number(value, "value")
        if force:
            item["force"] = True
        if status != "firing":
            item["status"] = status
        self._enqueue("alerts", item)
        return item["id"]

    def heartbeat(self, source: Optional[str] = None) -> str:
        """Queues a ``heartbeat`` event (what Klaxon's ``bot_down`` rule waits for)."""
        return self.event("heartbeat", source=source)

    # ------------------------------------------------------------------ flushing and closing

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Sends everything queued so far and waits until it was delivered or reported to
        ``on_error``. Returns False if ``timeout`` seconds passed first."""
        if threading.current_thread() is self._sender:  # from on_error: send in place
            self._send_pending()
            return True
        with self._cond:
            if not self._stopped:
                self._flush_requested += 1
                wanted = self._flush_requested
                self._cond.notify_all()
                return self._cond.wait_for(
                    lambda: self._flush_done >= wanted or self._stopped, timeout
                )
        self._send_pending()  # the sender is gone (closed): nothing should be left
        return True

    def close(self, timeout: Optional[float] = None) -> bool:
        """Stops the heartbeat, sends what is queued and stops the sender thread. Pushing
        afterwards raises ``ClientClosedError``. Returns False if ``timeout`` seconds passed
        before the sender finished (it then keeps going, as a daemon thread). Idempotent."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._heartbeat_stop.set()
        if self._heartbeat_thread is not None and self._heartbeat_thread is not threading.current_thread():
            self._heartbeat_thread.join(_remaining(deadline))
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        atexit.unregister(self._at_exit)
        if self._sender is not threading.current_thread():
            self._sender.join(_remaining(deadline))
        if self._sender.is_alive():
            return False
        self._session.close()
        return True

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def queued(self) -> int:
        """Items waiting to be sent (not counting a batch being sent now)."""
        with self._cond:
            return self._queued

    def __enter__(self) -> "Klaxon":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"queued={self._queued}"
        return f"Klaxon(url={self._shown_url!r}, source={self._source!r}, {state})"

    def __getstate__(self) -> Dict[str, Any]:
        raise TypeError("a Klaxon client cannot be pickled: create one in each process")

    # ------------------------------------------------------------------ internals: the queue

    def _put_source(self, item: Dict[str, Any], source: Optional[str]) -> None:
        source = source if source is not None else self._source
        if source is not None:
            if not isinstance(source, str):
                raise TypeError("source must be a string")
            item["source"] = source

    def _enqueue(self, route: str, item: Dict[str, Any]) -> None:
        encoded = _encode(item)  # in the caller's thread: a bad value fails where it was pushed
        with self._cond:
            if self._closed:
                raise ClientClosedError("the Klaxon client is closed")
            while self._queued >= MAX_QUEUE:
                oldest = min(
                    (q for q in self._queues.values() if q), key=lambda q: q[0][0]
                )
                _, dropped = oldest.popleft()
                self._queued -= 1
                self._dropped += 1
                if len(self._dropped_sample) < OVERFLOW_SAMPLE:
                    self._dropped_sample.append(dropped)
            self._seq += 1
            queue = self._queues[route]
            queue.append((self._seq, encoded))
            self._queued += 1
            if len(queue) >= self._batch_max:
                self._cond.notify_all()

    def _take(self, up_to: int) -> Optional[Tuple[str, List[bytes]]]:
        """Takes the next batch (the route with the oldest item first) of items queued up to
        sequence number ``up_to``."""
        with self._cond:
            ready = [(q[0][0], r) for r, q in self._queues.items() if q and q[0][0] <= up_to]
            if not ready:
                return None
            route = min(ready)[1]
            queue = self._queues[route]
            batch: List[bytes] = []
            size = 2
            while queue and queue[0][0] <= up_to and len(batch) < self._batch_max:
                encoded = queue[0][1]
                if batch and size + len(encoded) + 1 > MAX_BODY_BYTES:
                    break
                queue.popleft()
                batch.append(encoded)
                size += len(encoded) + 1
            self._queued -= len(batch)
            return route, batch

    # ------------------------------------------------------------------ internals: the threads

    def _run(self) -> None:
        while True:
            with self._cond:
                deadline = time.monotonic() + self._flush_interval
                while not (
                    self._closed
                    or self._flush_requested > self._flush_done
                    or any(len(q) >= self._batch_max for q in self._queues.values())
                ):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                wanted = self._flush_requested
                closing = self._closed
            try:
                self._send_pending()
            except Exception:  # a bug: keep the thread alive, the items are lost
                log.exception("klaxon: the sender failed")
            with self._cond:
                self._flush_done = max(self._flush_done, wanted)
                if closing and self._queued == 0:
                    self._stopped = True
                    self._cond.notify_all()
                    return
                self._cond.notify_all()

    def _beat(self) -> None:
        while not self._heartbeat_stop.is_set():
            try:
                self.heartbeat()
            except ClientClosedError:
                return
            except Exception:
                log.exception("klaxon: could not queue a heartbeat")
            self._heartbeat_stop.wait(self._heartbeat_interval)

    def _at_exit(self) -> None:
        self.close(timeout=EXIT_TIMEOUT)

    # ------------------------------------------------------------------ internals: sending

    def _send_pending(self) -> None:
        with self._send_lock:
            with self._cond:
                up_to = self._seq
                dropped, sample = self._dropped, self._dropped_sample
                self._dropped, self._dropped_sample = 0, []
            if dropped:
                self._report(
                    QueueOverflowError(
                        f"the queue was full ({MAX_QUEUE} items): dropped the {dropped} oldest",
                        encoded_items=sample,
                        dropped=dropped,
                    )
                )
            while True:
                batch = self._take(up_to)
                if batch is None:
                    return
                self._deliver(*batch)

    def _deliver(self, route: str, items: List[bytes]) -> None:
        """Sends one batch until it is accepted, refused, or the retries run out."""
        body = b"[" + b",".join(items) + b"]"
        url = f"{self._base}/v1/{route}"
        # One request id for every attempt: Klaxon's log shows them as one correlationId.
        request_id = str(uuid.uuid4())
        headers = dict(self._headers, **{"X-Request-Id": request_id})
        attempt = 0
        while True:
            attempt += 1
            retry_after: Optional[float] = None
            status: Optional[int] = None
            try:
                response = self._session.post(url, data=body, headers=headers, timeout=self._timeout)
            except requests.Timeout:
                problem = f"no answer within {self._timeout:g}s"
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                problem = f"connection failed: {self._scrub(_reason(exc))}"
            except requests.RequestException as exc:  # a bad URL: retrying will not help
                self._report(
                    KlaxonError(
                        f"POST /v1/{route} failed: {self._scrub(str(exc))}",
                        route=route,
                        request_id=request_id,
                        encoded_items=items,
                    )
                )
                return
            else:
                status = response.status_code
                if 200 <= status < 300:
                    response.close()
                    return
                error, message, errors = self._read_error(response)
                if status in RETRYABLE_4XX or status >= 500:
                    retry_after = _retry_after(response.headers.get("Retry-After"))
                    problem = f"{status} {error or ''}: {message}".replace(" :", ":")
                elif status == 413 and len(items) > 1:
                    # Too big for this server's limits: the halves may pass (nothing was taken).
                    half = len(items) // 2
                    self._deliver(route, items[:half])
                    self._deliver(route, items[half:])
                    return
                else:
                    self._refused(route, items, status, error, message, errors, request_id)
                    return
            if attempt > self._retries:
                self._report(
                    RetriesExhaustedError(
                        f"POST /v1/{route} failed {attempt} times, dropping {len(items)} items: {problem}",
                        attempts=attempt,
                        route=route,
                        status=status,
                        request_id=request_id,
                        encoded_items=items,
                    )
                )
                return
            delay = self._delay(attempt - 1)
            if retry_after is not None:
                delay = max(delay, retry_after)
            log.debug("klaxon: POST /v1/%s: %s; retrying in %.2fs", route, problem, delay)
            self._sleep(delay)

    def _refused(
        self,
        route: str,
        items: List[bytes],
        status: int,
        error: Optional[str],
        message: str,
        errors: List[Dict[str, Any]],
        request_id: str,
    ) -> None:
        """A 4xx: the batch is not sent again. When every field error names an item (``[3]...``),
        only those items are dropped, and the others go out in a new request (one bad item does
        not take the batch down with it; nothing of a refused request was stored)."""
        named = _named_items(errors, len(items)) if status in (400, 403) else None
        bad = items if named is None else [item for i, item in enumerate(items) if i in named]
        where = "; ".join(f"{e.get('path')}: {e.get('message')}" for e in errors[:5])
        self._report(
            RejectedError(
                f"Klaxon refused {len(bad)} of {len(items)} items of POST /v1/{route} ({status} {error}): {message}"
                + (f" [{where}]" if where and where not in message else ""),
                route=route,
                status=status,
                error=error,
                errors=errors,
                request_id=request_id,
                encoded_items=bad,
            )
        )
        if named is not None:
            self._deliver(route, [item for i, item in enumerate(items) if i not in named])

    def _sleep(self, seconds: float) -> None:
        """The wait before a retry (the tests replace it, to see the waits without sleeping)."""
        time.sleep(seconds)

    def _delay(self, retry: int) -> float:
        """Exponential backoff with jitter: between half and all of backoff * 2^retry."""
        ceiling = min(self._max_backoff, self._backoff * (2 ** min(retry, 32)))
        return ceiling / 2 + self._random.uniform(0, ceiling / 2)

    def _read_error(self, response: requests.Response) -> Tuple[Optional[str], str, List[Dict[str, Any]]]:
        try:
            body = response.json()
        except ValueError:
            body = None
        finally:
            response.close()
        if isinstance(body, dict):
            errors = body.get("errors")
            return (
                self._scrub(str(body.get("error"))) if body.get("error") is not None else None,
                self._scrub(str(body.get("message", ""))),
                [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
            )
        text = response.text[:300] if response.text else response.reason or ""
        return None, self._scrub(text.strip()), []

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "[token]") if self._token in text else text

    def _report(self, err: KlaxonError) -> None:
        if self._on_error is None:
            log.error("klaxon: %s", err)
            return
        try:
            self._on_error(err)
        except Exception:
            log.exception("klaxon: on_error raised")


# ---------------------------------------------------------------------- value checks


def _remaining(deadline: Optional[float]) -> Optional[float]:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


_ITEM_PATH = re.compile(r"\[(\d+)\]")


def _named_items(errors: List[Dict[str, Any]], count: int) -> Optional[Set[int]]:
    """The items a refusal's field errors name (``[3].ts`` -> 3), when every error names one
    and some items are left; else None (the whole batch is refused)."""
    named: Set[int] = set()
    for e in errors:
        found = _ITEM_PATH.match(str(e.get("path", "")))
        if found is None or int(found.group(1)) >= count:
            return None
        named.add(int(found.group(1)))
    return named if named and len(named) < count else None


def _reason(exc: Exception) -> str:
    # requests wraps urllib3's MaxRetryError, whose `reason` is the error that matters.
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", None)
    return str(reason if reason is not None else exc)


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _number(value: Any, what: str) -> Union[int, float]:
    if isinstance(value, bool):
        return int(value)
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    number: Union[int, float] = int(value) if isinstance(value, numbers.Integral) else float(value)
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"{what} is {number}: JSON has no NaN or Infinity, so Klaxon would refuse it")
    return number


def _labels(labels: Mapping[str, str]) -> Dict[str, str]:
    if not isinstance(labels, Mapping):
        raise TypeError("labels must be a dict of {name: string}")
    for name, value in labels.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"labels must be strings: labels[{name!r}] is {type(value).__name__}")
    return dict(labels)


def _severity(severity: str) -> str:
    if not isinstance(severity, str) or severity.lower() not in SEVERITIES:
        raise ValueError(
            f"severity {severity!r} is not one of critical, high, warning, info "
            "(or error, warn, medium, low, debug, fatal)"
        )
    return severity


def _timestamp(ts: Optional[Timestamp]) -> Union[int, float, str]:
    if ts is None:
        return round(time.time(), 3)
    if isinstance(ts, datetime):  # a naive datetime is local time, as datetime.timestamp() says
        return round(ts.timestamp(), 3)
    if isinstance(ts, str):
        return ts
    return _number(ts, "ts")


def _idempotency_id(given: Optional[str]) -> str:
    if given is None:
        return str(uuid.uuid4())
    if not isinstance(given, str) or not 1 <= len(given) <= 128 or not all(33 <= ord(c) <= 126 for c in given):
        raise ValueError("id must be 1-128 printable ASCII characters without spaces")
    return given


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.astimezone()).astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _encode(item: Dict[str, Any]) -> bytes:
    try:
        text = json.dumps(item, allow_nan=False, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    except ValueError as exc:
        raise ValueError(f"{exc}: JSON has no NaN or Infinity, so Klaxon would refuse it") from None
    return text.encode("utf-8")


def _retry_after(header: Optional[str]) -> Optional[float]:
    """A ``Retry-After`` in seconds: delay-seconds (``5``, also ``1.5``) or an HTTP-date, relative
    to now. None when absent or unreadable; never negative, at most ``MAX_RETRY_AFTER``. It is
    honoured on every answer that is retried (408, 425, 429, 5xx). The TypeScript client reads it
    the same way (src/client/retry.ts, ``parseRetryAfter``)."""
    if not header:
        return None
    header = header.strip()
    if _DELAY_SECONDS.fullmatch(header):
        seconds = float(header)  # digits only: never NaN, and a huge value is inf, so capped
    else:
        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


# delay-seconds: ASCII digits, and a fraction some servers send ("-5", "1e3" or "inf" are not one).
_DELAY_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
