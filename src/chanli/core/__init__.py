"""The shared kernel: money, periods, issues, settings, storage, auth, audit and events.

Nothing in here knows about a business capability; capabilities import from here.
"""

from __future__ import annotations
