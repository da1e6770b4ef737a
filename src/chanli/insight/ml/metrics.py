"""The few quality measures the model cards and ``evaluate --json`` report.

Kept in one place so a card, a test and the CLI can never disagree on what "auc" means.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, brier_score_loss, f1_score, roc_auc_score

__all__ = ["binary_metrics", "classification_metrics"]


def binary_metrics(labels: Sequence[int] | np.ndarray, probabilities: Sequence[float] | np.ndarray) -> dict:
    """AUC (ranking quality), Brier score (calibration + sharpness) and the number of rows."""
    y = np.asarray(labels, dtype=int)
    p = np.asarray(probabilities, dtype=float)
    auc = float(roc_auc_score(y, p)) if len(set(y.tolist())) == 2 else float("nan")
    return {"auc": round(auc, 4), "brier": round(float(brier_score_loss(y, p)), 4), "n": len(y)}


def classification_metrics(labels: Sequence[int] | np.ndarray, predicted: Sequence[int] | np.ndarray) -> dict:
    """Accuracy and macro-F1 (which does not let the majority class hide a weak minority)."""
    y = np.asarray(labels, dtype=int)
    yhat = np.asarray(predicted, dtype=int)
    return {
        "accuracy": round(float(accuracy_score(y, yhat)), 4),
        "macro_f1": round(float(f1_score(y, yhat, average="macro")), 4),
        "n": len(y),
    }
