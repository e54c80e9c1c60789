"""tomotopy on one SIMD build on every x86-64 machine, so that a seed gives the same topics.

tomotopy ships its sampler compiled for several instruction sets and loads, when it is
first imported, the best one the CPU has unless the environment variable
``TOMOTOPY_ISA`` names one. The builds do not always compute alike: with ``alpha="auto"``
(tomotopy re-estimates the prior, with vectorised digamma functions) the AVX-512 build gives
other topics than the AVX2 and SSE2 builds for the same seed, on the shipped corpus and on
800 VNTC articles, while AVX2 and SSE2 agree (SSE2 about 18% slower). With a fixed alpha the
three agreed on both, but nothing promises it. A fit's result would then depend on the CPU it
ran on, which the LDA's reproducibility promise (same seed, same bytes, on any machine)
forbids.

So topiclab pins the SSE2 build, which every x86-64 CPU has: importing this module (which
:mod:`topiclab.models.lda` does) sets ``TOMOTOPY_ISA=sse2`` before tomotopy is imported,
overriding a value set in the environment (worker processes inherit it), and
:func:`import_tomotopy` refuses to fit with another build. A tomotopy imported earlier
under another build cannot be reloaded in the same process; an error (not a warning) says
so, because a warning would let a run publish topics no other machine reproduces. Other
architectures (arm64) ship one build, which is left alone.
"""

from __future__ import annotations

import os
import platform
import sys
from types import ModuleType

__all__ = ["TOMOTOPY_ISA", "TomotopyBuildError", "import_tomotopy", "pin_tomotopy_isa"]

#: The instruction set of tomotopy's build on x86-64: SSE2 is part of x86-64 itself.
TOMOTOPY_ISA = "sse2"
_X86_64 = {"x86_64", "amd64", "x64"}


class TomotopyBuildError(RuntimeError):
    """tomotopy runs a SIMD build other than the pinned one, so its topics could not be
    reproduced on another CPU."""


def _pinned() -> bool:
    """Whether this machine's tomotopy has several builds to choose from (x86-64)."""
    return platform.machine().lower() in _X86_64


def pin_tomotopy_isa() -> None:
    """Make the next import of tomotopy (here and in child processes) load the SSE2 build.

    Does nothing on machines other than x86-64, or if tomotopy is already imported
    (:func:`import_tomotopy` then checks which build it runs).
    """
    if _pinned() and "tomotopy" not in sys.modules:
        os.environ["TOMOTOPY_ISA"] = TOMOTOPY_ISA


def import_tomotopy() -> ModuleType:
    """Import tomotopy on the pinned build and return it.

    Returns
    -------
    module
        ``tomotopy``.

    Raises
    ------
    TomotopyBuildError
        On x86-64, if tomotopy runs another build than SSE2: it was imported before
        topiclab with another ``TOMOTOPY_ISA`` (or the CPU's best build), or the installed
        wheel lacks the SSE2 build (tomotopy then silently loads the best one).
    """
    already = "tomotopy" in sys.modules
    pin_tomotopy_isa()
    import tomotopy

    if _pinned() and tomotopy.isa != TOMOTOPY_ISA:
        if already:
            cause = (
                "tomotopy was imported before topiclab and loaded its "
                f"{tomotopy.isa or 'unknown'} build"
            )
            fix = (
                "import topiclab before tomotopy, or set TOMOTOPY_ISA=sse2 in the environment, "
                "and restart Python"
            )
        else:
            cause = f"tomotopy loaded its {tomotopy.isa or 'unknown'} build, not sse2"
            fix = "install a tomotopy wheel that ships the sse2 build (tomotopy 0.14 does)"
        raise TomotopyBuildError(
            f"{cause}: its topics differ from the sse2 build's for the same seed, so this "
            f"fit could not be reproduced on another CPU; {fix}"
        )
    return tomotopy


pin_tomotopy_isa()
