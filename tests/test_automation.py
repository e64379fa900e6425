"""Automation gains: computed per sample only where a ramp is, yet the same float32 samples as
interpolating every sample of the block."""

import numpy as np
import pytest

from mixchat.dsp.automation import _breakpoints, automation_gain, gain_envelope_db, matching
from mixchat.dsp.state import SectionAutomation


def every_sample_gain(items, *, owners, field, static_db, start, frames, sample_rate):
    """The straightforward gain: each owner's trapezoids interpolated at every sample."""
    first, last = start / sample_rate, (start + max(frames - 1, 0)) / sample_rate
    seconds = (start + np.arange(frames, dtype=np.float64)) / float(sample_rate)
    total = None
    for owner in owners:
        shapes = [
            _breakpoints(item, float(getattr(item, field)))
            for item in matching(items, track=owner, field=field)
        ]
        shapes = [(t, v) for t, v in shapes if t[-1] >= first and t[0] <= last]
        if not shapes or not frames:
            continue
        envelope = np.zeros(frames, dtype=np.float64)
        for times, values in shapes:
            envelope += np.interp(seconds, times, values, left=0.0, right=0.0)
        env = envelope.astype(np.float32)
        total = env if total is None else total + env
    if total is None:
        return float(10.0 ** (static_db / 20.0))
    level = total + np.float32(static_db)
    return np.power(np.float32(10.0), level * np.float32(0.05), dtype=np.float32)


def random_items(rng):
    items = []
    for _ in range(int(rng.integers(1, 6))):
        start = 0.0 if rng.random() < 0.2 else round(float(rng.uniform(0, 20)), 3)
        length = float(rng.choice([rng.uniform(0.001, 0.2), rng.uniform(0.2, 10)]))
        items.append(
            SectionAutomation(
                track=str(rng.choice(["x", "y"])) if rng.random() < 0.8 else None,
                start_s=start,
                end_s=round(start + length, 5),
                gain_db=float(rng.uniform(-12, 6)),
                reverb_send_db=float(rng.choice([0.0, -3.0])),
                ramp_ms=float(rng.choice([1.0, 20.0, 80.0, 500.0])),
            )
        )
    return tuple(items)


@pytest.mark.parametrize("seed", range(6))
def test_gain_is_the_every_sample_gain_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        items = random_items(rng)
        rate = int(rng.choice([44100, 48000, 1000]))
        start = int(rng.integers(0, 25 * rate))
        frames = int(rng.choice([1, 100, int(rng.integers(1, 6 * rate))]))
        for owners in (("x",), ("x", None), (None,)):
            for field in ("gain_db", "reverb_send_db"):
                kwargs = dict(
                    owners=owners,
                    field=field,
                    static_db=-4.5,
                    start=start,
                    frames=frames,
                    sample_rate=rate,
                )
                fast, plain = automation_gain(items, **kwargs), every_sample_gain(items, **kwargs)
                if isinstance(plain, float):
                    assert fast == plain
                else:
                    assert fast.dtype == np.float32
                    np.testing.assert_array_equal(fast, plain)


def test_envelope_ramps_through_a_boundary_and_is_flat_elsewhere():
    rate = 1000
    items = (SectionAutomation(track="x", start_s=1.0, end_s=3.0, gain_db=-6.0, ramp_ms=100.0),)
    env = gain_envelope_db(items, track="x", frames=4 * rate, sample_rate=rate)
    assert env[:950].max() == 0.0 and env[1050:2950].min() == np.float32(-6.0)
    assert np.all(np.diff(env[950:1051]) < 0)  # the ramp down into the range, sample by sample
    assert env[3050:].max() == 0.0
