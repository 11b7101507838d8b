"""Validation of the per-school estimate against a per-school flag ("lmb share >= p %").

AUC of the ranking; precision, recall and balanced accuracy of "estimate >= p %", citywide and
per Bezirk. When the flag's count was used to calibrate, the prediction for each Bezirk comes from
a calibration on the other Bezirke only (out of fold).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Metrics", "auc", "metrics", "out_of_fold", "by_group"]


@dataclass(frozen=True)
class Metrics:
    n: int
    n_flagged: int
    n_predicted: int
    auc: float
    precision: float
    recall: float
    balanced_accuracy: float

    def text(self) -> str:
        return (
            f"n={self.n}, flagged={self.n_flagged}, predicted={self.n_predicted}, "
            f"AUC {_f(self.auc)}, precision {_f(self.precision)}, recall {_f(self.recall)}, "
            f"balanced accuracy {_f(self.balanced_accuracy)}"
        )


def _f(value: float) -> str:
    return "n/a" if np.isnan(value) else f"{value:.3f}"


def auc(flag: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney; ties count half); NaN without both classes."""
    flag = np.asarray(flag, dtype=bool)
    n1, n0 = int(flag.sum()), int((~flag).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    # Average ranks of ties (as scipy.stats.rankdata; pandas spares the build scipy.stats' import).
    ranks = pd.Series(np.asarray(score, dtype=float)).rank(method="average").to_numpy()
    return float((ranks[flag].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def metrics(flag: np.ndarray, predicted: np.ndarray, score: np.ndarray) -> Metrics:
    flag = np.asarray(flag, dtype=bool)
    predicted = np.asarray(predicted, dtype=bool)
    tp = int((flag & predicted).sum())
    n1, n0 = int(flag.sum()), int((~flag).sum())
    tn = int((~flag & ~predicted).sum())
    nan = float("nan")
    precision = tp / predicted.sum() if predicted.any() else nan
    recall = tp / n1 if n1 else nan
    specificity = tn / n0 if n0 else nan
    return Metrics(
        n=len(flag),
        n_flagged=n1,
        n_predicted=int(predicted.sum()),
        auc=auc(flag, score),
        precision=float(precision),
        recall=float(recall),
        balanced_accuracy=float(np.nanmean([recall, specificity])) if n1 or n0 else nan,
    )


def out_of_fold(score: pd.Series, flag: pd.Series, group: pd.Series) -> pd.Series:
    """Predicted flag per school when the flag count calibrates the threshold: for each group,
    the threshold is the score of the k-th best school of the other groups, k their flag count."""
    predicted = pd.Series(False, index=score.index)
    for g in group.unique():
        test = (group == g).to_numpy()
        train_score = score[~test].to_numpy()
        k = int(flag[~test].sum())
        if k == 0:
            continue
        threshold = np.sort(train_score)[::-1][k - 1]
        predicted[test] = score[test].to_numpy() >= threshold
    return predicted


def by_group(
    flag: pd.Series, predicted: pd.Series, score: pd.Series, group: pd.Series
) -> dict[str, Metrics]:
    return {
        str(g): metrics(flag[m].to_numpy(), predicted[m].to_numpy(), score[m].to_numpy())
        for g in sorted(group.unique())
        for m in [(group == g).to_numpy()]
    }
