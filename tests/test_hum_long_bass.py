"""A clean bass held for six minutes is not hum: song_2's bass looped to 360 s (as the
session bench builds its 32-stem song) has a steady line near 50 Hz that is a played note.
A detector change that found "hum" there made the automix notch the bass's fundamental by
40 dB (and hold 600 MB doing it); it was reverted."""

import numpy as np
import soundfile as sf
from conftest import shared_path

from mixchat.dsp.cleanup.detect import detect_faults

LOOPED_S = 360.0


def test_a_long_clean_bass_has_no_hum() -> None:
    audio, rate = sf.read(str(shared_path("songs", "song_2", "bass.flac")), dtype="float32")
    channels = np.atleast_2d(audio.T)
    repeats = int(np.ceil(LOOPED_S * rate / channels.shape[1]))
    looped = np.tile(channels, (1, repeats))[:, : int(LOOPED_S * rate)]
    faults = detect_faults(looped, sample_rate=rate, role="bass")
    assert not faults.hum.found, faults.hum
