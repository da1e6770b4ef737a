"""Machine-learning models of the insight capability: churn risk, call emotion, lead scoring
and won-revenue forecasting, with one lifecycle (train → card → evaluate → score).

Import from ``chanli.insight``; the modules here are its implementation.
"""

from __future__ import annotations
