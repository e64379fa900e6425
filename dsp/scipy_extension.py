"""Load one of scipy's compiled extension modules without importing its package.

Importing ``scipy.signal`` or ``scipy.fft`` runs their ``__init__``s, which import far more
than the one kernel the engine calls (see ``iir`` and ``fft``). The extension is loaded from
its file under the name scipy gives it and put in ``sys.modules``, so a later import of the
package reuses the same module.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
from functools import cache
from pathlib import Path
from types import ModuleType

_LOCK = threading.Lock()  # render threads ask at once; an extension loads only once


def scipy_extension(name: str) -> ModuleType | None:
    """The extension module ``name`` (e.g. ``"scipy.signal._sosfilt"``), or None when it
    cannot be loaded on its own (another scipy layout)."""
    with _LOCK:
        return _load(name)


@cache
def _load(name: str) -> ModuleType | None:
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    try:
        import scipy

        *packages, stem = name.split(".")
        folder = Path(scipy.__file__).parent.joinpath(*packages[1:])
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = folder / f"{stem}{suffix}"
            if path.exists():
                loader = importlib.machinery.ExtensionFileLoader(name, str(path))
                spec = importlib.util.spec_from_file_location(name, path, loader=loader)
                if spec is None:
                    return None
                module = importlib.util.module_from_spec(spec)
                loader.exec_module(module)
                sys.modules[name] = module
                return module
    except RuntimeError:  # loaded meanwhile by an import of the package: use that one
        return sys.modules.get(name)
    except (ImportError, OSError, AttributeError):
        return None
    return None
