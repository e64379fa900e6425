"""scipy.cluster.hierarchy's ``linkage(x, method="average", metric="euclidean")`` and
``fcluster(tree, t, criterion="distance")`` as the section finder calls them, without
importing scipy.cluster.

Importing scipy.cluster costs about 0.3 s of CPU (scipy.spatial, scipy.linalg,
scipy.special and the array-API layer), paid by every new session for one clustering of a
few dozen segments. These run scipy's own compiled kernels (``scipy.spatial._distance_pybind``
for the distances, ``scipy.cluster._hierarchy`` for the tree and the cut, loaded on their
own) with the steps scipy takes around them, so their values are the same bit for bit
(``tests/test_clustering.py``); where the kernels cannot be loaded they call scipy.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from mixchat.dsp.scipy_extension import scipy_extension

HIERARCHY_MODULE = "scipy.cluster._hierarchy"
DISTANCE_MODULE = "scipy.spatial._distance_pybind"
AVERAGE = 2  # scipy.cluster.hierarchy._LINKAGE_METHODS["average"]


def _kernels() -> tuple[ModuleType, ModuleType] | None:
    hierarchy, distance = scipy_extension(HIERARCHY_MODULE), scipy_extension(DISTANCE_MODULE)
    if hierarchy is None or distance is None:
        return None
    needed = (hasattr(hierarchy, "nn_chain"), hasattr(hierarchy, "cluster_dist"))
    if not all(needed) or not hasattr(distance, "pdist_euclidean"):
        return None
    return hierarchy, distance


def average_linkage(points: np.ndarray) -> np.ndarray:
    """The (n - 1, 4) linkage matrix of average-linkage clustering of ``points`` (n, d),
    n >= 2, by euclidean distance."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[0] < 2:
        raise ValueError(f"points shape={points.shape} must be (n >= 2, dimensions)")
    kernels = _kernels()
    if kernels is None:
        from scipy.cluster.hierarchy import linkage

        return np.asarray(linkage(points, method="average", metric="euclidean"))
    hierarchy, distance = kernels
    condensed = distance.pdist_euclidean(points)
    if not np.all(np.isfinite(condensed)):
        raise ValueError("the points' distances must be finite")
    return np.asarray(hierarchy.nn_chain(condensed, points.shape[0], AVERAGE))


def clusters_within(tree: np.ndarray, *, distance: float) -> np.ndarray:
    """Flat cluster numbers (1, 2, ...) of the tree's observations, merged while their
    cophenetic distance stays under ``distance`` (``fcluster``'s ``criterion="distance"``)."""
    tree = np.ascontiguousarray(tree, dtype=np.float64)
    kernels = _kernels()
    if kernels is None:
        from scipy.cluster.hierarchy import fcluster

        return np.asarray(fcluster(tree, t=distance, criterion="distance"))
    count = tree.shape[0] + 1
    labels = np.zeros((count,), dtype="i")
    kernels[0].cluster_dist(tree, labels, float(distance), int(count))
    return labels
