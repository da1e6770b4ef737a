"""A tiny after-commit outbox: services queue typed event records on the unit of work; the
bus delivers them to registered handlers only once the transaction has committed.

Why not ORM signals: a notification about a change that was rolled back is a lie.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

__all__ = ["EventBus"]

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)
        self.delivered: int = 0

    def register(self, event_type: type, handler: Handler) -> None:
        self._handlers[event_type].append(handler)

    def dispatch(self, events: list[Any]) -> None:
        """Deliver each event to its handlers. The change is already committed, so a failing
        handler (a robot webhook that is down) is logged and does not undo it."""
        for ev in events:
            for handler in self._handlers.get(type(ev), []):
                try:
                    handler(ev)
                    self.delivered += 1
                except Exception:
                    log.exception("event handler %r failed for %r", handler, ev)
