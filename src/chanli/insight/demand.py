"""Demand clustering (需求聚类): group what customers ask for into a few named clusters.

Documents are the customer's side of recorded calls (one document per customer utterance, so
a call about price *and* delivery feeds both needs) and opportunity notes. Each is cut into
words by jieba, stopwords and one-character words are dropped, and the bags of words are
weighted by TF-IDF and grouped by k-means (cosine geometry: rows are L2-normalised).

Why k-means on TF-IDF and not a topic model: the documents are short (a sentence or two),
where LDA's word-mixture assumption has too little to work with, and k-means gives each
document exactly one cluster, which is what a count and a monthly trend need. ``k`` is chosen
by the silhouette score among 2…10 unless given. A cluster is named after the coaching topic
(``ml.calls.TOPIC_RULES``: 价格敏感, 交付担忧 …) that at least half its members raise, else
after its top terms, so a manager reads "价格敏感" or "试用 · 评估" rather than "cluster 3".

Pure and deterministic (fixed seed); no file or database access.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score

from chanli.insight.ml.calls import CUSTOMER, KEYWORD_STOPWORDS, Utterance, detect_topics
from chanli.insight.ml.text import tokenize
from chanli.insight.model import DemandClusterResult

__all__ = ["DEMAND_STOPWORDS", "cluster_demands", "demand_tokens"]

DEMAND_STOPWORDS = KEYWORD_STOPWORDS | frozenset(
    {
        "您好", "我们", "你们", "这个", "那个", "一下", "比较", "还是", "已经", "目前", "现在", "时候",
        "问题", "应该", "可能", "需要", "觉得", "感觉", "知道", "那么", "这么", "还有", "而且", "不过",
        "不是", "没有", "什么", "怎么", "一些", "有点", "一点", "的话", "方面", "情况", "说实话", "嗯",
    }
)
TERMS_PER_CLUSTER = 5
MIN_TERMS = 3  # shorter utterances (好的 / 保持沟通 / 再说吧) carry no need to group


def demand_tokens(text: str) -> list[str]:
    """Content words of ``text``: no stopwords, punctuation, digits or single characters."""
    return [
        w
        for w in tokenize(text)
        if len(w) > 1 and w not in DEMAND_STOPWORDS and not w.isdigit() and any(ch.isalnum() for ch in w)
    ]


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _name(terms: Sequence[str], texts: Sequence[str], taken: set[str]) -> str:
    """The coaching topic most members talk about (when at least half do), else the top
    terms; made unique among the clusters of one run."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({t.name for t in detect_topics([Utterance("", CUSTOMER, text)])})
    topic, hits = counts.most_common(1)[0] if counts else (None, 0)
    name = topic if topic and hits * 2 >= len(texts) else " · ".join(terms[:2])
    if name in taken:
        extra = next((t for t in terms if t not in name), None)
        name = f"{name} · {extra}" if extra else f"{name} ({len(taken) + 1})"
    taken.add(name)
    return name


def cluster_demands(
    texts: Sequence[str], k: int | None = None, *, seed: int = 0, max_k: int = 10, min_df: int = 2
) -> list[DemandClusterResult]:
    """Clusters of ``texts`` biggest first (numbered 1…k), each with a name, its top terms
    and the indexes of its member texts. Texts without content words belong to no cluster.
    Fewer than four usable texts give no clusters."""
    docs = [(i, demand_tokens(t)) for i, t in enumerate(texts)]
    docs = [(i, toks) for i, toks in docs if len(toks) >= MIN_TERMS]
    if len(docs) < 4:
        return []
    vectorizer = TfidfVectorizer(analyzer=_identity, min_df=min(min_df, len(docs)), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([toks for _, toks in docs])
    except ValueError:  # no term occurs often enough
        return []
    keep = np.asarray(matrix.sum(axis=1)).ravel() > 0
    if keep.sum() < 4:
        return []
    matrix = matrix[keep]
    index = [i for (i, _), kept in zip(docs, keep, strict=True) if kept]
    if k is None:
        k = _best_k(matrix, seed, max_k)
    k = max(1, min(k, matrix.shape[0]))
    model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(matrix)
    vocabulary = vectorizer.get_feature_names_out()
    raw = []
    for c in range(k):
        members = tuple(index[j] for j in np.flatnonzero(model.labels_ == c))
        if not members:
            continue
        order = np.argsort(-model.cluster_centers_[c], kind="stable")[:TERMS_PER_CLUSTER]
        raw.append((members, tuple(str(vocabulary[t]) for t in order)))
    raw.sort(key=lambda m: (-len(m[0]), m[1]))
    taken: set[str] = set()
    return [
        DemandClusterResult(
            number=n, name=_name(terms, [texts[i] for i in members], taken), terms=terms, size=len(members),
            members=members,
        )
        for n, (members, terms) in enumerate(raw, start=1)
    ]


def _best_k(matrix: object, seed: int, max_k: int) -> int:
    """The k in 2…max_k with the best cosine silhouette (on at most 2,000 rows)."""
    rows = matrix.shape[0]  # type: ignore[attr-defined]
    upper = min(max_k, rows - 1)
    if upper < 2:
        return 1
    best_k, best = 2, -2.0
    sample = min(rows, 2000)
    for k in range(2, upper + 1):
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(matrix)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(matrix, labels, metric="cosine", sample_size=sample, random_state=seed))
        if score > best + 1e-9:
            best_k, best = k, score
    return best_k
