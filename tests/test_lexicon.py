"""The descriptor lexicon and the genre targets: data valid, words resolve, curves do what
their names say when applied to pink noise."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pedalboard as pb
import pytest

from mixchat.assistant.reading.lexicon import eq_response_db, find_descriptors, load_lexicon
from mixchat.dsp.errors import StateError
from mixchat.tools.genres import BANDS, genre_names, genre_target, load_genres

SAMPLE_RATE = 48000
ENGINEER_WORDS = (
    "muddy boxy honky nasal harsh sibilant boomy thin tinny punchy glue airy presence wide "
    "narrow upfront buried wet dry lift energy warm dark bright crisp smooth fat clean "
    "aggressive distant intimate loud quiet"
).split()


@pytest.fixture(scope="module")
def lex():
    return load_lexicon()


def pink_noise(seconds: float = 2.0, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    audio = np.fft.irfft(spectrum, n)
    return (0.1 * audio / np.max(np.abs(audio))).astype(np.float32)[None, :]


def centroid_hz(audio: np.ndarray) -> float:
    power = np.abs(np.fft.rfft(audio[0])) ** 2
    freqs = np.fft.rfftfreq(audio.shape[1], 1 / SAMPLE_RATE)
    keep = (freqs >= 20) & (freqs <= 20000)
    return float(np.sum(freqs[keep] * power[keep]) / np.sum(power[keep]))


def pink_centroid_change(moves) -> float:
    """Centroid change (Hz ratio - 1) of the moves' magnitude response on a pink spectrum."""
    freqs = np.linspace(20, 20000, 20000)
    pink = 1 / freqs
    gain = 10 ** (eq_response_db(moves, freqs) / 10)
    before = np.sum(freqs * pink) / np.sum(pink)
    after = np.sum(freqs * pink * gain) / np.sum(pink * gain)
    return after / before - 1


def band_change_db(moves, low_hz: float, high_hz: float) -> float:
    freqs = np.geomspace(low_hz, high_hz, 400)
    return float(10 * np.log10(np.mean(10 ** (eq_response_db(moves, freqs) / 10))))


def render_eq(moves, audio: np.ndarray) -> np.ndarray:
    plugins = []
    for m in moves:
        cls = {"low_shelf": pb.LowShelfFilter, "high_shelf": pb.HighShelfFilter}.get(
            m.kind, pb.PeakFilter
        )
        plugins.append(cls(cutoff_frequency_hz=m.freq_hz, gain_db=m.gain_db, q=m.q))
    return pb.Pedalboard(plugins)(audio, SAMPLE_RATE)


# ------------------------------------------------------------------ the file


def test_every_entry_validates_and_covers_the_studies(lex):
    entries = lex.entries()
    with_curve = [d for d in entries if d.eq_curve is not None]
    assert len(with_curve) >= 280  # 294 SocialEQ words, a few inflections merged
    assert sum(d.reverb is not None for d in entries) >= 300
    assert sum(d.compressor is not None for d in entries) >= 30
    assert sum(d.safe is not None for d in entries) >= 10
    for d in with_curve:
        assert len(d.eq_curve) == 40 and len(d.eq_curve_db) == 40
        assert 1 <= len(d.eq_moves) <= 4
        assert d.effect is not None and d.measure and d.direction in (-1, 1)
    for d in entries:
        if d.compressor is not None:
            assert d.compressor.count >= 8
        if d.antonym is not None:
            assert d.antonym in lex.words(), d.word
    size = (files("mixchat.prompts") / "lexicon.json").stat().st_size
    assert size < 2_000_000


def test_header_cites_the_studies_and_scales(lex):
    text = " ".join(str(v) for v in lex.header.values())
    for study in ("SocialEQ", "SocialReverb", "Audealize", "SocialFX", "SAFE", "Stables"):
        assert study in text
    for key in ("eq_scale", "reverb_mapping", "compressor_mapping", "polarity"):
        assert key in lex.header


def test_engineer_words_have_actionable_intents(lex):
    for word in ENGINEER_WORDS:
        d = lex.lookup(word)
        assert d is not None and d.word == word, word
        assert d.intent is not None and d.measure and d.direction in (-1, 1), word
    for word in ("muddy", "harsh", "boomy", "boxy", "sibilant", "buried"):
        assert lex[word].polarity == "problem"
    muddy = lex["muddy"].intent
    assert muddy.kind == "cut_offender" and muddy.band_hz == (200, 500) and muddy.gain_db < 0
    assert lex["harsh"].intent.band_hz == (2000, 5000)
    assert lex["punchy"].intent.kind == "transient"
    assert lex["wide"].intent.delta > 0 and lex["narrow"].intent.delta < 0
    assert lex["wet"].intent.send_db > 0 and lex["dry"].intent.send_db < 0
    assert lex["upfront"].intent.gain_db > 0 and lex["quiet"].intent.gain_db < 0


# ------------------------------------------------------------------ lookup


@pytest.mark.parametrize(
    ("word", "canonical"),
    [
        ("darker", "dark"),
        ("darken", "dark"),
        ("darkness", "dark"),
        ("brite", "bright"),
        ("brighter", "bright"),
        ("muddiness", "muddy"),
        ("mud", "muddy"),
        ("boomy", "boomy"),
        ("boomier", "boomy"),
        ("harshness", "harsh"),
        ("sizzle", "airy"),
        ("air", "airy"),
        ("wider", "wide"),
        ("fatter", "fat"),
        ("thick", "fat"),
        ("punch", "punchy"),
        ("esses", "sibilant"),
        ("louder", "loud"),
        ("softer", "quiet"),
        ("warmth", "warm"),
        ("Up-Front", "upfront"),
        ("focused", "narrow"),
        ("agressive", "aggressive"),
    ],
)
def test_lookup_resolves_inflections_synonyms_and_misspellings(lex, word, canonical):
    found = lex.lookup(word)
    assert found is not None and found.word == canonical
    assert not found.approximate


def test_close_spellings_are_flagged_approximate_and_nonsense_is_none(lex):
    found = lex.lookup("brightt")
    assert found is not None and found.word == "bright" and found.approximate
    assert lex.lookup("zzxqv") is None
    assert lex.lookup("") is None


def test_find_descriptors_returns_words_and_spans():
    text = "Darker and wider, less boomy, more air on the guitars and not so much mud"
    found = [(d.word, text[a:b]) for d, (a, b) in find_descriptors(text)]
    assert found == [
        ("dark", "Darker"),
        ("wide", "wider"),
        ("boomy", "boomy"),
        ("airy", "air"),
        ("muddy", "mud"),
    ]
    two_words = find_descriptors("needs more low end and a big hall on the snare")
    assert [d.word for d, _ in two_words] == ["low end", "big hall"]
    assert find_descriptors("bring the guitar up in the second chorus") == []


# ------------------------------------------------------------------ what the curves do


def test_dark_lowers_the_top_and_the_centroid_bright_raises_it(lex):
    dark, bright = lex["dark"], lex["bright"]
    assert pink_centroid_change(dark.eq_moves) < -0.10
    assert pink_centroid_change(bright.eq_moves) > 0.10
    assert band_change_db(dark.eq_moves, 2000, 6000) < -1.0
    assert band_change_db(bright.eq_moves, 2000, 6000) > 1.0
    assert dark.effect.centroid_pct < 0 < bright.effect.centroid_pct
    assert dark.measure == "centroid" and dark.direction == -1 and bright.direction == 1


def test_rendered_pink_noise_centroid_moves_the_same_way(lex):
    noise = pink_noise()
    before = centroid_hz(noise)
    assert centroid_hz(render_eq(lex["dark"].eq_moves, noise)) < 0.9 * before
    assert centroid_hz(render_eq(lex["bright"].eq_moves, noise)) > 1.1 * before


def test_warm_boosts_low_and_low_mid_relative_to_the_highs(lex):
    moves = lex["warm"].eq_moves
    body = band_change_db(moves, 60, 500)
    top = band_change_db(moves, 2000, 20000)
    assert body - top > 3.0
    assert pink_centroid_change(moves) < 0


def test_fitted_moves_approximate_the_curves(lex):
    errors = {}
    for d in lex.entries():
        if d.eq_curve_db is None:
            continue
        fitted = eq_response_db(d.eq_moves, lex.band_centres_hz)
        errors[d.word] = float(np.sqrt(np.mean((fitted - np.asarray(d.eq_curve_db)) ** 2)))
        assert errors[d.word] == pytest.approx(d.eq_fit_rms_db, abs=0.01)
    values = np.array(list(errors.values()))
    print(
        f"EQ fit RMS over {len(values)} words: median {np.median(values):.2f} dB, "
        f"p90 {np.percentile(values, 90):.2f} dB, max {values.max():.2f} dB"
    )
    assert np.median(values) < 0.6
    assert values.max() < 2.5
    for word in ("dark", "bright", "warm"):
        assert errors[word] < 0.5


def test_fitted_response_matches_the_rendered_filters(lex):
    moves = lex["warm"].eq_moves
    impulse = np.zeros((1, SAMPLE_RATE), dtype=np.float32)
    impulse[0, 0] = 1.0
    response = np.abs(np.fft.rfft(render_eq(moves, impulse)[0]))
    freqs = np.fft.rfftfreq(SAMPLE_RATE, 1 / SAMPLE_RATE)
    centres = lex.band_centres_hz[1:-1]
    measured = 20 * np.log10(np.interp(centres, freqs, response))
    assert np.max(np.abs(measured - eq_response_db(moves, centres))) < 0.2


def test_reverb_mapping_orders_spaces(lex):
    big, small = lex.lookup("big hall").reverb, lex.lookup("small room").reverb
    assert big.room_size > small.room_size
    for d in lex.entries():
        if d.reverb is not None:
            assert d.reverb.room_size == pytest.approx(
                min(1, max(0, d.reverb.raw["decay"])), abs=1e-3
            )


# ------------------------------------------------------------------ genres


def test_genres_have_all_bands_roles_and_the_vocal_on_top():
    genres = load_genres()
    required = {"pop", "rock", "hip_hop", "edm", "rnb", "acoustic", "jazz", "metal", "ballad"}
    assert required | {"default"} <= set(genres)
    roles = {"vocal", "kick", "snare", "bass", "guitar", "keys", "pad", "lead", "backing_vocal"}
    for name, target in genres.items():
        assert set(target.band_shares_db) >= set(BANDS), name
        shares = np.array([target.band_shares_db[b] for b in BANDS])
        assert np.all(shares < 0) and abs(10 * np.log10(np.sum(10 ** (shares / 10)))) < 0.3
        assert roles <= set(target.level_offsets_lu), name
        assert target.level_offsets_lu["vocal"] == 0.0
        assert max(v for r, v in target.level_offsets_lu.items() if r != "vocal") < 0
        for centred in ("kick", "bass", "snare", "vocal"):
            assert target.role(centred).pan == 0.0
        assert target.role("guitar").pan > 0 and target.role("pad").width > 1
        assert -23 <= target.premaster_lufs <= -16 and target.master.ceiling_dbtp <= -1
        assert target.sources


def test_genre_target_resolves_names_and_refuses_unknown_ones():
    assert genre_target(None).name == "default"
    assert genre_target("Hip Hop").name == "hip_hop"
    assert genre_target("r&b").name == "rnb"
    assert genre_target("folk").name == "acoustic"
    with pytest.raises(StateError, match="polka") as error:
        genre_target("polka")
    assert all(name in str(error.value) for name in genre_names())
