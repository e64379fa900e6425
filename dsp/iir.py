"""scipy.signal's ``sosfilt``, one-pole ``lfilter``, ``firwin`` low-pass, Tukey window and
second-order Butterworth high-pass, as the engine uses them, without importing scipy.signal.

Importing scipy.signal costs about 1.5 s of CPU (it imports scipy.stats, optimize,
interpolate, ... and rewrites hundreds of docstrings), and every render and measurement needs
a biquad: so a ``say`` or ``render`` process would pay it for two filters. ``sosfilt`` here
runs scipy's own compiled kernel (``scipy.signal._sosfilt``, loaded on its own) with the
argument handling of ``scipy.signal.sosfilt``, so its samples are the same; where that kernel
cannot be loaded it falls back to ``scipy.signal.sosfilt``. ``one_pole`` is ``lfilter`` of a
one-pole filter, run as one biquad section (the same arithmetic); ``kaiser_lowpass`` is
``firwin(taps, cutoff, window=("kaiser", beta))`` and ``tukey`` is
``scipy.signal.windows.tukey`` and ``butter2_highpass`` is ``butter(2, ..., "highpass",
output="sos")``, written out (tests compare all five with scipy's, sample for sample).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mixchat.dsp.scipy_extension import scipy_extension

KERNEL_MODULE = "scipy.signal._sosfilt"


def _kernel() -> Callable[..., None] | None:
    """scipy's in-place ``_sosfilt(sos, x, zi)`` kernel, or None when it cannot be loaded
    on its own (another scipy layout)."""
    module = scipy_extension(KERNEL_MODULE)
    return getattr(module, "_sosfilt", None) if module is not None else None


def sosfilt(sos: np.ndarray, x: np.ndarray, *, axis: int = -1, zi: np.ndarray | None = None) -> Any:
    """``scipy.signal.sosfilt(sos, x, axis=axis, zi=zi)`` for real float arrays: the filtered
    ``x``, and the final state when ``zi`` is given."""
    kernel = _kernel()
    sos = np.atleast_2d(np.asarray(sos))
    x = np.asarray(x)
    if kernel is None or sos.ndim != 2 or sos.shape[1] != 6 or x.ndim == 0:
        from scipy.signal import sosfilt as scipy_sosfilt

        return scipy_sosfilt(sos, x, axis=axis, zi=zi)
    sections = sos.shape[0]
    zi_shape = list(x.shape)
    zi_shape[axis] = 2
    full_zi_shape = (sections, *zi_shape)
    inputs = [sos, x] if zi is None else [sos, x, np.asarray(zi)]
    dtype = np.result_type(*inputs)
    if dtype.char not in "fd":
        from scipy.signal import sosfilt as scipy_sosfilt

        return scipy_sosfilt(sos, x, axis=axis, zi=zi)
    if zi is not None:
        state = np.array(zi, dtype=dtype)  # a copy: the kernel works in place
        if state.shape != full_zi_shape:
            raise ValueError(f"zi has shape {state.shape}; it must be {full_zi_shape}")
    else:
        state = np.zeros(full_zi_shape, dtype=dtype)
    axis = axis % x.ndim
    moved = np.moveaxis(x, axis, -1)
    state = np.moveaxis(state, (0, axis + 1), (-2, -1))
    x_shape, state_shape = moved.shape, state.shape
    work = np.array(np.reshape(moved, (-1, moved.shape[-1])), dtype, order="C")
    flat_state = np.ascontiguousarray(np.reshape(state, (-1, sections, 2)))
    kernel(sos.astype(dtype, copy=False), work, flat_state)
    out = np.moveaxis(work.reshape(x_shape), -1, axis)
    if zi is None:
        return out
    final = np.moveaxis(flat_state.reshape(state_shape), (-2, -1), (0, axis + 1))
    return out, final


def kaiser_lowpass(taps: int, cutoff: float, *, beta: float) -> np.ndarray:
    """``scipy.signal.firwin(taps, cutoff, window=("kaiser", beta))``: a linear-phase low-pass
    (``cutoff`` relative to Nyquist) with unity gain at DC."""
    if taps < 2 or not 0.0 < cutoff < 1.0:
        raise ValueError(f"taps={taps} must be >= 2 and cutoff={cutoff} in (0, 1)")
    centre = 0.5 * (taps - 1)
    offsets = np.arange(0, taps) - centre
    response = cutoff * np.sinc(cutoff * offsets)
    n = np.arange(0, taps)
    window = np.i0(beta * np.sqrt(1 - ((n - centre) / centre) ** 2.0)) / np.i0(beta)
    response = response * window
    return response / np.sum(response * np.cos(np.pi * offsets * 0.0))


def one_pole(b: np.ndarray, a: np.ndarray, x: np.ndarray, *, zi: np.ndarray) -> Any:
    """``scipy.signal.lfilter(b, a, x, zi=zi)`` for a one-pole filter (``b`` = [b0],
    ``a`` = [1, a1]) on a 1-D ``x``: (filtered, final state of shape (1,)). The same samples:
    one biquad section with its second-order terms zero does the same arithmetic."""
    b, a = np.asarray(b), np.asarray(a)
    if b.shape != (1,) or a.shape != (2,) or a[0] != 1 or np.ndim(x) != 1:
        raise ValueError(f"one_pole takes b=[b0] and a=[1, a1] on 1-D x, not b={b}, a={a}")
    dtype = np.result_type(b, a, x, zi)
    section = np.array([[b[0], 0.0, 0.0, 1.0, a[1], 0.0]], dtype=dtype)
    state = np.array([[np.asarray(zi).reshape(-1)[0], 0.0]], dtype=dtype)
    y, final = sosfilt(section, x, zi=state)
    return y, final[0, :1]


def tukey(size: int, alpha: float) -> np.ndarray:
    """``scipy.signal.windows.tukey(size, alpha)`` (symmetric) for 0 < ``alpha`` < 1: flat
    in the middle, cosine tapers over ``alpha`` of the length."""
    if size <= 1 or not 0.0 < alpha < 1.0:
        raise ValueError(f"size={size} must be > 1 and alpha={alpha} in (0, 1)")
    n = np.arange(0, size, dtype=np.float64)
    width = int(math.floor(alpha * (size - 1) / 2.0))
    n1, n3 = n[0 : width + 1], n[size - width - 1 :]
    w1 = 0.5 * (1 + np.cos(np.pi * (-1 + 2.0 * n1 / alpha / (size - 1))))
    w2 = np.ones(n[width + 1 : size - width - 1].shape)
    w3 = 0.5 * (1 + np.cos(np.pi * (-2.0 / alpha + 1 + 2.0 * n3 / alpha / (size - 1))))
    return np.concatenate((w1, w2, w3))


def butter2_highpass(*, cutoff_hz: float, sample_rate: float) -> np.ndarray:
    """``scipy.signal.butter(2, cutoff_hz, btype="highpass", fs=sample_rate, output="sos")``:
    scipy's steps (analogue prototype, low-pass to high-pass, prewarped bilinear transform)
    in scipy's order, so the section is the same to the last bit."""
    if not 0.0 < cutoff_hz < sample_rate / 2:
        raise ValueError(f"cutoff_hz={cutoff_hz} must be in (0, {sample_rate / 2:g})")
    warped = 4.0 * np.tan(np.pi * (2.0 * cutoff_hz / sample_rate) / 2.0)
    prototype = -np.exp(1j * np.pi * np.arange(-1, 2, 2) / 4)
    zeros, poles = np.zeros(2), warped / prototype
    gain = np.real(1.0 / np.prod(-prototype))
    zeros_z, poles_z = (4.0 + zeros) / (4.0 - zeros), (4.0 + poles) / (4.0 - poles)
    gain_z = gain * np.real(np.prod(4.0 - zeros) / np.prod(4.0 - poles))
    b, a = gain_z * np.poly(zeros_z), np.poly(poles_z)
    return np.concatenate([np.real(b), np.real(a)])[None, :]
