"""dsp.clustering runs scipy's clustering kernels without importing scipy.cluster, and the
section finder's running maximum is scipy.ndimage's: the same values, bit for bit."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.ndimage import maximum_filter1d

from mixchat.dsp import clustering
from mixchat.dsp.sections import running_max

RNG = np.random.default_rng(11)


def _points(count: int, dims: int) -> np.ndarray:
    points = RNG.standard_normal((count, dims)) * RNG.uniform(0.1, 10.0)
    points[count // 2] = points[0]  # a tie: two segments alike
    return points


@pytest.mark.parametrize(("count", "dims"), [(2, 1), (3, 4), (17, 12), (60, 30)])
def test_average_linkage_and_its_cut_match_scipy_bit_for_bit(count, dims) -> None:
    points = _points(count, dims)
    tree = clustering.average_linkage(points)
    expected = linkage(points, method="average", metric="euclidean")
    assert np.array_equal(tree, expected)
    for cut in (0.0, float(np.median(tree[:, 2])), float(tree[:, 2].max()) + 1.0):
        got = clustering.clusters_within(tree, distance=cut)
        assert np.array_equal(got, fcluster(expected, t=cut, criterion="distance"))


def test_without_the_kernels_scipy_answers(monkeypatch) -> None:
    monkeypatch.setattr(clustering, "_kernels", lambda: None)
    points = _points(9, 5)
    tree = clustering.average_linkage(points)
    assert np.array_equal(tree, linkage(points, method="average", metric="euclidean"))
    assert np.array_equal(
        clustering.clusters_within(tree, distance=1.0),
        fcluster(tree, t=1.0, criterion="distance"),
    )


def test_bad_points_quote_the_shape() -> None:
    with pytest.raises(ValueError, match=r"shape=\(1, 3\)"):
        clustering.average_linkage(np.zeros((1, 3)))


@pytest.mark.parametrize("reach", [0, 1, 7, 40])
def test_running_max_is_scipys_maximum_filter(reach) -> None:
    curve = RNG.random(97) * (RNG.random(97) > 0.5)
    expected = maximum_filter1d(curve, size=2 * reach + 1, mode="nearest")
    assert np.array_equal(running_max(curve, reach=reach), expected)


def test_finding_sections_does_not_import_scipy_cluster_or_ndimage() -> None:
    code = (
        "import sys, numpy as np\n"
        "from mixchat.dsp.sections import detect_sections\n"
        "t = np.arange(44100 * 20) / 44100\n"
        "beat = (np.sin(2 * np.pi * 2 * t) > 0.99) * np.sin(2 * np.pi * 220 * t)\n"
        "detect_sections(np.stack([beat, beat]).astype(np.float32), sample_rate=44100)\n"
        "print(*(m in sys.modules for m in ('scipy.cluster', 'scipy.ndimage', 'scipy.spatial')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "False"]
