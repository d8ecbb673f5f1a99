"""The group registry: adding a group is one module plus one line here."""

from __future__ import annotations

from metafeatures._base import MetaFeatureGroup
from metafeatures._general import GeneralGroup
from metafeatures._info_theory import InfoTheoryGroup
from metafeatures._landmarking import LandmarkingGroup
from metafeatures._openml import OpenMLGroup
from metafeatures._openml_landmarking import OpenMLLandmarkingGroup
from metafeatures._statistical import StatisticalGroup

REGISTRY: dict[str, MetaFeatureGroup] = {
    g.name: g
    for g in (
        GeneralGroup(),
        StatisticalGroup(),
        InfoTheoryGroup(),
        LandmarkingGroup(),
        OpenMLGroup(),
        OpenMLLandmarkingGroup(),
    )
}

GROUPS: tuple[str, ...] = tuple(REGISTRY)
"""All group names."""

DEFAULT_GROUPS: tuple[str, ...] = ("general", "statistical", "info_theory", "landmarking", "openml")
"""Groups computed by ``groups="default"``: all but ``openml_landmarking`` (10-fold
cross-validation of a dozen learners, which approximates OpenML's Weka landmarkers and
is slower)."""
