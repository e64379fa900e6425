"""PNG plots a producer would rather look at than read (matplotlib, Agg backend).

* ``spectrum.png``: the mix's 1/3-octave spectrum against the genre's target band shares;
* ``loudness.png``: short-term loudness over time with the sections shaded and labelled;
* ``masking.png``: who masks whom (worst severity per stem pair), when there are stems.
All are 1200x600 px.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mixchat.dsp.analysis import loudness_curve  # noqa: E402
from mixchat.dsp.errors import AudioFileError  # noqa: E402
from mixchat.dsp.spectrum import BANDS_HZ, mono_sum, power_spectrum, third_octave_levels_db  # noqa: E402
from mixchat.tools.genres import band_targets  # noqa: E402

SIZE_IN = (12, 6)
DPI = 100
SECTION_COLOURS = {
    "intro": "#d9d9d9",
    "verse": "#a6cee3",
    "pre_chorus": "#b2df8a",
    "chorus": "#fb9a99",
    "bridge": "#fdbf6f",
    "outro": "#cab2d6",
}


def write_plots(
    material: Any, result: dict[str, Any], *, plots_dir: Path, genre: str | None = None
) -> list[Path]:
    """Write the plots for measured ``material`` into ``plots_dir``; returns their paths."""
    plots_dir = Path(plots_dir)
    try:
        plots_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise AudioFileError(
            f"cannot create plots_dir={plots_dir} ({error.strerror}); choose a writable folder"
        ) from None
    written = [
        spectrum_plot(material, plots_dir / "spectrum.png", genre=genre or material.genre),
        loudness_plot(material, plots_dir / "loudness.png"),
    ]
    if len(material.stems) > 1:
        written.append(
            masking_plot(list(material.stems), result["masking"], plots_dir / "masking.png")
        )
    return written


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def spectrum_plot(material: Any, path: Path, *, genre: str | None) -> Path:
    rate = material.sample_rate
    freqs, psd = power_spectrum(mono_sum(material.mix), sample_rate=rate, n_fft=8192)
    centres, density_db = third_octave_levels_db(freqs, psd, low_hz=25.0, high_hz=16000.0)
    total = float(psd.sum() * (freqs[1] - freqs[0]))
    fig, ax = plt.subplots(figsize=SIZE_IN)
    ax.semilogx(centres, density_db, color="#1f4e79", linewidth=2.2, label="this mix (1/3 octave)")
    name, shares, tolerance = band_targets(genre)
    for index, (band, (low, high)) in enumerate(BANDS_HZ.items()):
        if band not in shares:
            continue
        level = 10 * np.log10(max(total * 10 ** (shares[band] / 10) / (high - low), 1e-30))
        spread = tolerance.get(band, 3.0)
        ax.fill_between(
            [low, high],
            level - spread,
            level + spread,
            color="#f4a582",
            alpha=0.35,
            label=f"{name} target ± tolerance" if index == 0 else None,
        )
        ax.hlines(level, low, high, color="#b2182b", linewidth=1.5)
        ax.text(
            np.sqrt(low * high),
            level + spread + 1.0,
            band.replace("_", "-"),
            ha="center",
            fontsize=10,
        )
    ax.set_xlim(20, 20000)
    ax.set_xlabel("Frequency (Hz)")
    ax.set_ylabel("Power density (dB per Hz, mono sum)")
    ax.set_title(f"Spectrum against the {name} target")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left")
    return _save(fig, path)


def loudness_plot(material: Any, path: Path) -> Path:
    times, lufs = loudness_curve(material.mix, sample_rate=material.sample_rate, hop_s=0.5)
    fig, ax = plt.subplots(figsize=SIZE_IN)
    floor = max(-60.0, float(np.min(lufs)) - 3.0) if lufs.size else -60.0
    top = float(np.max(lufs)) + 4.0 if lufs.size else 0.0
    for section in material.sections:
        colour = SECTION_COLOURS.get(section.label, "#eeeeee")
        ax.axvspan(section.start_s, section.end_s, color=colour, alpha=0.45, linewidth=0)
        ax.text(
            (section.start_s + section.end_s) / 2,
            top - 1.5,
            section.label.replace("_", "-"),
            ha="center",
            va="top",
            fontsize=11,
        )
    ax.plot(times, lufs, color="#1f4e79", linewidth=2.0, label="short-term loudness (3 s)")
    ax.set_ylim(floor, top)
    ax.set_xlim(0, material.mix.shape[1] / material.sample_rate)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Loudness (LUFS)")
    ax.set_title("Loudness over time, sections shaded")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    return _save(fig, path)


def masking_plot(names: list[str], conflicts: list[dict[str, Any]], path: Path) -> Path:
    index = {n: i for i, n in enumerate(names)}
    matrix = np.zeros((len(names), len(names)))
    for c in conflicts:
        if c["masker"] in index and c["masked"] in index:
            i, j = index[c["masker"]], index[c["masked"]]
            matrix[i, j] = max(matrix[i, j], c["severity"])
    fig, ax = plt.subplots(figsize=SIZE_IN)
    image = ax.imshow(matrix, cmap="Reds", vmin=0.0, vmax=max(0.5, float(matrix.max())))
    ax.set_xticks(range(len(names)), labels=names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), labels=names)
    ax.set_xlabel("masked stem")
    ax.set_ylabel("masking stem")
    for i, j in zip(*np.nonzero(matrix), strict=True):
        ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=9)
    fig.colorbar(image, ax=ax, label="masking severity (0-1)")
    ax.set_title("Masking matrix: row masks column (worst band)")
    return _save(fig, path)
