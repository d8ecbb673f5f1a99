"""Plot a recommendation: predicted scores with intervals and the nearest datasets.

Uses the shipped default knowledge base and meta-models; writes ``explain_plot.png``.
"""

from __future__ import annotations

from sklearn.datasets import load_diabetes

import autometa

df = load_diabetes(as_frame=True).frame
rec = autometa.recommend(df, target="target", top_k=8)
fig = rec.plot()
fig.savefig("explain_plot.png", dpi=100)
print(rec.explain())
print("wrote explain_plot.png")
