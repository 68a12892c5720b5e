"""What the client tells `on_error`: items it could not deliver, and why."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence


class KlaxonError(Exception):
    """Items that did not reach Klaxon (they are dropped), or a client that cannot be used.

    ``kind`` says which, as in the TypeScript client: ``"rejected"`` (a 4xx: fix the caller),
    ``"failed"`` (no success after every retry, or a request that could not be made),
    ``"dropped"`` (the queue was full), ``"closed"`` (a push after ``close()``). ``route`` is
    ``"metrics"``, ``"events"`` or ``"alerts"``; ``items`` the dropped items as they were
    queued (with their ``id``); ``status`` the HTTP status of Klaxon's last answer
    (None when there was none); ``error``, ``message`` and ``errors`` what Klaxon said
    (``errors``: ``[{"path": "[1].ts", "message": "..."}]``); ``ids`` the idempotency keys of
    the events and alerts concerned. The token never appears in them.
    """

    kind = "failed"

    def __init__(
        self,
        message: str,
        *,
        route: Optional[str] = None,
        status: Optional[int] = None,
        error: Optional[str] = None,
        errors: Optional[List[Dict[str, Any]]] = None,
        request_id: Optional[str] = None,
        encoded_items: Sequence[bytes] = (),
        dropped: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.route = route
        self.status = status
        self.error = error
        self.errors: List[Dict[str, Any]] = list(errors or [])
        self.request_id = request_id
        self._encoded = list(encoded_items)
        self.dropped = len(self._encoded) if dropped is None else dropped

    @property
    def code(self) -> Optional[str]:
        """Klaxon's ``error`` code (``invalid_input``), named as in the TypeScript client."""
        return self.error

    @property
    def ids(self) -> List[str]:
        """The ``id`` of each dropped event or alert."""
        return [i["id"] for i in self.items if isinstance(i.get("id"), str)]

    @property
    def items(self) -> List[Dict[str, Any]]:
        """The dropped items, decoded (at most the ones the error kept)."""
        return [json.loads(e) for e in self._encoded]

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, route={self.route!r}, status={self.status!r})"


class RejectedError(KlaxonError):
    """Klaxon refused the batch with a 4xx other than 408, 425 or 429: it is wrong and is not
    sent again.

    One invalid item refuses the whole request; ``errors`` names each bad field by its path
    within the batch (``[3].metrics.equity``). When every error names an item, only those items
    are dropped (they are ``items``), and the others are sent again in a new request.
    """

    kind = "rejected"


class RetriesExhaustedError(KlaxonError):
    """Klaxon kept answering 5xx, 408, 425 or 429, timing out or refusing connections;
    ``attempts`` tries."""

    kind = "failed"

    def __init__(self, message: str, *, attempts: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.attempts = attempts


class QueueOverflowError(KlaxonError):
    """The queue was full: ``dropped`` of the oldest items were thrown away (``items``: the
    first 100 of them) to make room for new ones."""

    kind = "dropped"


class ClientClosedError(KlaxonError, RuntimeError):
    """An item was pushed after ``close()``."""

    kind = "closed"
