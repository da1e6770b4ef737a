"""web — the server-rendered pages shell (Jinja2 + HTMX + ECharts, zh_CN first).

A regular package (not a namespace directory) so that import-linter sees it and can enforce
that the pages never import ``org.tables`` or ``crm.tables``. The app factory lives in
``chanli.web.app.build_app``; pages call capability ``queries`` only.
"""

from __future__ import annotations

__all__: list[str] = []
