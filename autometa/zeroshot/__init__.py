"""Zero-shot drop-ins for scikit-learn's estimators, one per learner of the registry.

``autometa.zeroshot.RandomForestClassifier(...)`` takes scikit-learn's parameters; those you
leave unset come from the recommendation for the data at ``fit``.

Examples
--------
>>> from autometa.zeroshot import RandomForestClassifier
>>> rf = RandomForestClassifier(n_estimators=200)
>>> rf.get_params()["n_estimators"], rf.get_params()["max_depth"]
(200, 'recommended')
"""

from __future__ import annotations

from autometa.learners import learner_names
from autometa.zeroshot._dropins import RECOMMENDED, ZeroShotMixin, make_dropin

for _name in learner_names():
    globals()[_name] = make_dropin(_name, __name__)
del _name

__all__ = ["RECOMMENDED", "ZeroShotMixin", "make_dropin", *learner_names()]
