"""A logging handler that turns a bot's error log records into Klaxon events."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Dict

from ._errors import ClientClosedError

if TYPE_CHECKING:
    from ._client import Klaxon

#: The longest message and exception text an event carries (characters).
MAX_MESSAGE = 2000
MAX_EXCEPTION = 4000


def _severity(levelno: int) -> str:
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "high"
    if levelno >= logging.WARNING:
        return "warning"
    return "info"


def _head(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def _tail(text: str, limit: int) -> str:
    # A traceback's end names the exception: keep that.
    if len(text) <= limit:
        return text
    return f"({len(text) - limit} characters before) ...{text[-limit:]}"


class KlaxonHandler(logging.Handler):
    """Sends each record at ``level`` or above as a ``log_error`` event.

    Severity follows the level (ERROR: ``high``, CRITICAL: ``critical``; WARNING: ``warning``
    and below: ``info`` if the handler's level lets them through). ``data`` holds ``logger``,
    ``level``, ``message`` (the formatted message, at most 2000 characters), ``exception``
    (the traceback's last 4000 characters, when there is one) and where it was logged. It only
    queues: a log call never waits for the network. Records of the client's own logger
    (``klaxon_client``) are skipped, so a Klaxon outage cannot feed itself.

        logging.getLogger().addHandler(KlaxonHandler(client))
    """

    def __init__(self, client: "Klaxon", level: int = logging.ERROR, event_type: str = "log_error") -> None:
        super().__init__(level)
        self.client = client
        self.event_type = event_type
        self._inside = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "klaxon_client" or record.name.startswith("klaxon_client."):
            return
        if getattr(self._inside, "busy", False) or self.client.closed:
            return
        self._inside.busy = True
        try:
            data: Dict[str, Any] = {
                "logger": record.name,
                "level": record.levelname,
                "message": _head(record.getMessage(), MAX_MESSAGE),
            }
            exception = record.exc_text
            if not exception and record.exc_info and record.exc_info[0] is not None:
                exception = logging.Formatter().formatException(record.exc_info)
            if exception:
                data["exception"] = _tail(exception, MAX_EXCEPTION)
            data["location"] = f"{record.module}.{record.funcName}:{record.lineno}"
            self.client.event(
                self.event_type, data=data, severity=_severity(record.levelno), ts=record.created
            )
        except ClientClosedError:  # closed between the check and the push
            pass
        except Exception:
            self.handleError(record)
        finally:
            self._inside.busy = False
