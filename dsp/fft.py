"""scipy.fft's ``rfft``, ``irfft``, ``fft``, ``ifft``, ``dct`` and ``next_fast_len`` as the
engine calls them, without importing scipy.fft.

Importing scipy.fft costs about 0.35 s of CPU: it imports scipy.special and an array-API
layer that walks all of numpy (loading numpy.f2py, numpy.testing and unittest on the way),
and every ``say``, ``render`` and ``analyze`` measures a spectrum. The transforms here run
scipy's own pocketfft extension (``scipy.fft._pocketfft.pypocketfft``, loaded on its own) with
the argument handling of ``scipy.fft._pocketfft``, so their values are the same bit for bit
(``tests/test_fft.py``); where the extension cannot be loaded they call scipy.fft.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from mixchat.dsp.scipy_extension import scipy_extension

POCKETFFT_MODULE = "scipy.fft._pocketfft.pypocketfft"
_NORMS = {None: 0, "backward": 0, "ortho": 1, "forward": 2}


def _pocketfft() -> ModuleType | None:
    return scipy_extension(POCKETFFT_MODULE)


def _scipy(name: str) -> Callable[..., Any]:
    """scipy.fft's own function, for when the extension cannot be loaded on its own."""
    import scipy.fft

    return getattr(scipy.fft, name)


def _norm(norm: str | None, *, forward: bool) -> int:
    if norm not in _NORMS:
        raise ValueError(f"norm={norm!r}; it must be 'backward', 'ortho' or 'forward'")
    code = _NORMS[norm]
    return code if forward else 2 - code


def _float_array(x: Any) -> np.ndarray:
    """scipy.fft's ``_asfarray``: float or complex, native byte order, aligned."""
    x = np.asarray(x)
    if x.dtype == np.float16:
        return x.astype(np.float32)
    if x.dtype.kind not in "fc":
        return x.astype(np.float64)
    aligned = x.flags["ALIGNED"]
    return np.array(x, dtype=x.dtype.newbyteorder("="), copy=None if aligned else True)


def _sized(x: np.ndarray, n: int | None, axis: int) -> tuple[np.ndarray, bool]:
    """``x`` cut or zero-padded to ``n`` points along ``axis``; True when that made a copy."""
    if n is None:
        if x.shape[axis] < 1:
            raise ValueError(f"{x.shape[axis]} points along axis {axis}; an FFT needs 1 or more")
        return x, False
    if n < 1:
        raise ValueError(f"n={n}; an FFT needs 1 or more points")
    index: list[slice] = [slice(None)] * x.ndim
    index[axis] = slice(0, min(n, x.shape[axis]))
    if x.shape[axis] >= n:
        return x[tuple(index)], False
    shape = list(x.shape)
    shape[axis] = n
    padded = np.zeros(shape, x.dtype)
    padded[tuple(index)] = x[tuple(index)]
    return padded, True


def rfft(
    x: Any,
    n: int | None = None,
    axis: int = -1,
    *,
    norm: str | None = None,
    overwrite_x: bool = False,
    workers: int = 1,
) -> np.ndarray:
    """scipy.fft.rfft (which ignores ``overwrite_x`` too)."""
    pocketfft = _pocketfft()
    if pocketfft is None:
        return _scipy("rfft")(x, n=n, axis=axis, norm=norm, workers=workers)
    values = _float_array(x)
    if not np.isrealobj(values):
        raise TypeError(f"rfft needs a real signal; got {values.dtype}")
    values, _ = _sized(values, n, axis)
    return pocketfft.r2c(values, (axis,), True, _norm(norm, forward=True), None, workers)


def irfft(
    x: Any,
    n: int | None = None,
    axis: int = -1,
    *,
    norm: str | None = None,
    overwrite_x: bool = False,
    workers: int = 1,
) -> np.ndarray:
    """scipy.fft.irfft (which ignores ``overwrite_x`` too)."""
    pocketfft = _pocketfft()
    if pocketfft is None:
        return _scipy("irfft")(x, n=n, axis=axis, norm=norm, workers=workers)
    values = _float_array(x)
    if np.isrealobj(values):
        values = values + 0.0j
    if n is None:
        n = (values.shape[axis] - 1) * 2
        if n < 1:
            raise ValueError(f"{values.shape[axis]} bins give {n} points; irfft needs 1 or more")
    else:
        values, _ = _sized(values, n // 2 + 1, axis)
    return pocketfft.c2r(values, (axis,), n, False, _norm(norm, forward=False), None, workers)


def _complex(
    forward: bool, x: Any, n: int | None, axis: int, overwrite_x: bool, workers: int
) -> np.ndarray:
    pocketfft = _pocketfft()
    if pocketfft is None:
        transform = _scipy("fft" if forward else "ifft")
        return transform(x, n=n, axis=axis, overwrite_x=overwrite_x, workers=workers)
    values = _float_array(x)
    copied = values is not x and isinstance(x, np.ndarray) and values.base is None
    values, padded = _sized(values, n, axis)
    reuse = (overwrite_x or copied or padded) and values.dtype.kind == "c"
    out = values if reuse else None
    return pocketfft.c2c(values, (axis,), forward, _norm(None, forward=forward), out, workers)


def fft(
    x: Any, n: int | None = None, axis: int = -1, *, overwrite_x: bool = False, workers: int = 1
) -> np.ndarray:
    return _complex(True, x, n, axis, overwrite_x, workers)


def ifft(
    x: Any, n: int | None = None, axis: int = -1, *, overwrite_x: bool = False, workers: int = 1
) -> np.ndarray:
    return _complex(False, x, n, axis, overwrite_x, workers)


def dct(x: Any, *, axis: int = -1, norm: str | None = None, workers: int = 1) -> np.ndarray:
    """The type-2 DCT."""
    pocketfft = _pocketfft()
    if pocketfft is None:
        return _scipy("dct")(x, axis=axis, norm=norm, workers=workers)
    values = _float_array(x)
    if np.iscomplexobj(values):
        raise TypeError(f"dct needs a real signal; got {values.dtype}")
    values, _ = _sized(values, None, axis)
    return pocketfft.dct(values, 2, (axis,), _norm(norm, forward=True), None, workers, None)


def next_fast_len(target: int, *, real: bool = False) -> int:
    pocketfft = _pocketfft()
    if pocketfft is None:
        return int(_scipy("next_fast_len")(target, real=real))
    return int(pocketfft.good_size(target, real))
