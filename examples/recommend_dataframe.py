"""Query recommendations from a DataFrame.

Uses the shipped default knowledge base and meta-models.
"""

from __future__ import annotations

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import autometa

df = load_breast_cancer(as_frame=True).frame
train, test = train_test_split(df, random_state=0, stratify=df["target"])

rec = autometa.recommend(train, target="target", top_k=5)
print(rec.to_frame()[["rank", "learner", "score", "score_low", "score_high"]])
print()
print(rec.explain())

pipe = rec.pipeline(0).fit(train.drop(columns="target"), train["target"])
print(
    f"\nheld-out accuracy of the first recommendation: "
    f"{pipe.score(test.drop(columns='target'), test['target']):.3f}"
)
