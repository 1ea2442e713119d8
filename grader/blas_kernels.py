"""Fingerprints of an exercise's cases under each OpenBLAS kernel: proof that a seed names the same bits on every CPU.

OpenBLAS picks a kernel per CPU (SkylakeX on this AMD EPYC, Haswell or Zen elsewhere), each summing in its own
order; `OPENBLAS_CORETYPE`, read once when NumPy loads OpenBLAS, forces one. So every kernel runs in a fresh
interpreter with the variable set before NumPy is imported, builds the exercise's cases from the exercise folder
alone (`spec.toml` names the reference module) and prints one sha256 over them. Equal fingerprints under every
kernel mean the cases do not depend on BLAS rounding; `fingerprints_under` takes any environments, e.g. NumPy
without its AVX2/AVX-512 code (`numpy_baseline_environment`), whose tanh and exp differ from its SIMD ones.

Server side only (used by tests and `rnn-grader exercise validate`): the student client never needs it.
Run by hand: `python -m grader.blas_kernels exercises/rnn 0 1 2` prints one line per kernel.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

KERNELS: tuple[str, ...] = ("Haswell", "SkylakeX", "Zen", "Sandybridge", "Nehalem", "Prescott")
# CPU flags (/proc/cpuinfo) each kernel's code needs; forcing a kernel the CPU cannot run dies of SIGILL.
_KERNEL_FLAGS: dict[str, frozenset[str]] = {
    "Haswell": frozenset({"avx2", "fma"}),
    "Zen": frozenset({"avx2", "fma"}),
    "SkylakeX": frozenset({"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"}),
    "Sandybridge": frozenset({"avx"}),
    "Nehalem": frozenset({"sse4_2"}),
    "Prescott": frozenset({"pni"}),  # SSE3 is called pni in /proc/cpuinfo
}
# Names OpenBLAS reports for the same code: builds without a Zen table run Haswell's; the pre-SSE3 Intel
# tables are aliases of Prescott's, and openblas_get_corename names the first alias (Katmai).
_SAME_CODE = {"zen": {"haswell"}, "prescott": {"katmai", "coppermine", "northwood"}}
# Variables that would change which code NumPy runs, other than the one being set; never inherited.
_CLEARED = ("OPENBLAS_CORETYPE", "OPENBLAS_VERBOSE", "NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES")
CHILD_TIMEOUT_S = 600.0


class KernelCheckError(RuntimeError):
    """A fingerprint could not be taken (the child failed, or the kernel asked for is not the one that ran)."""


def fingerprint(cases: Iterable[Any]) -> str:
    """sha256 over each case's name, part, description, facts and every argument's dtype, shape and bytes."""
    digest = hashlib.sha256()

    def feed(value: Any) -> None:
        import numpy as np

        if isinstance(value, dict):
            digest.update(b"{")
            for key, item in value.items():
                digest.update(repr(key).encode() + b":")
                feed(item)
            digest.update(b"}")
        elif isinstance(value, tuple | list):
            digest.update(b"(")
            for item in value:
                feed(item)
            digest.update(b")")
        elif isinstance(value, np.ndarray):
            array = np.ascontiguousarray(value)
            digest.update(f"array:{array.dtype.str}:{array.shape}:".encode() + array.tobytes())
        else:
            digest.update(f"{type(value).__name__}:{value!r};".encode())

    for case in cases:
        description = case.description
        digest.update(f"case:{case.name}:{case.part}:{case.scored}:".encode())
        digest.update(json.dumps([description.en, description.zh, dict(case.facts)], sort_keys=True).encode())
        feed(case.args)
    return digest.hexdigest()


def cpu_flags() -> frozenset[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def runnable_kernels(kernels: Sequence[str] = KERNELS) -> tuple[str, ...]:
    """The kernels among `kernels` this CPU can run (a kernel it cannot run cannot round anything here)."""
    flags = cpu_flags()
    return tuple(k for k in kernels if _KERNEL_FLAGS.get(k, frozenset()) <= flags)


def numpy_baseline_environment() -> dict[str, str]:
    """NumPy with every optional SIMD target of this build switched off (its baseline code only)."""
    from numpy.lib.introspect import opt_func_info

    targets: set[str] = set()
    for by_dtype in opt_func_info().values():
        for info in by_dtype.values():
            targets.update(t for t in str(info.get("available", "")).split() if not t.startswith("baseline"))
    return {"NPY_DISABLE_CPU_FEATURES": " ".join(sorted(targets))}


def case_fingerprints(exercise_dir: Path, seeds: Sequence[int], kernels: Sequence[str] = KERNELS) -> dict[str, str]:
    """kernel -> one sha256 over the hidden cases of `seeds` and the public examples of the exercise in
    `exercise_dir`, each kernel in a fresh interpreter with OPENBLAS_CORETYPE set before NumPy is imported.
    Kernels this CPU cannot run (see `runnable_kernels`) are left out."""
    return fingerprints_under(exercise_dir, seeds, _kernel_environments(kernels), public=True)


def public_fingerprints(exercise_dir: Path, kernels: Sequence[str] = KERNELS) -> dict[str, str]:
    """kernel -> sha256 over the public example cases alone (what public_examples.npz is built from)."""
    return fingerprints_under(exercise_dir, (), _kernel_environments(kernels), public=True)


def _kernel_environments(kernels: Sequence[str]) -> dict[str, dict[str, str]]:
    unknown = set(kernels) - set(_KERNEL_FLAGS)
    if unknown:
        raise ValueError(f"unknown OpenBLAS kernels: {sorted(unknown)}")
    return {k: {"OPENBLAS_CORETYPE": k} for k in runnable_kernels(kernels)}


def fingerprints_under(exercise_dir: Path, seeds: Sequence[int], environments: Mapping[str, Mapping[str, str]],
                       *, public: bool = True) -> dict[str, str]:
    """name -> the fingerprint of the hidden cases of `seeds` (then the public cases, if `public`), computed in a
    fresh interpreter whose environment adds environments[name]. A child that asked for an OpenBLAS kernel
    reports the kernel that really ran; a different one is an error, never a silent pass."""
    request = json.dumps({"exercise_dir": str(Path(exercise_dir).resolve()), "seeds": [int(s) for s in seeds],
                          "public": public})
    found: dict[str, str] = {}
    for name, extra in environments.items():
        env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(_import_path()))
        env.update(extra)
        try:
            child = subprocess.run([sys.executable, "-m", "grader.blas_kernels", "--child"], input=request,
                                   capture_output=True, text=True, env=env, timeout=CHILD_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise KernelCheckError(f"{name}: no fingerprint within {CHILD_TIMEOUT_S:.0f} s") from exc
        if child.returncode != 0:
            raise KernelCheckError(f"{name}: the child exited with {child.returncode}: {child.stderr[-2000:]}")
        report = json.loads(child.stdout)
        wanted = extra.get("OPENBLAS_CORETYPE")
        ran = str(report.get("corename", "")).lower()
        if wanted is not None and ran != wanted.lower() and ran not in _SAME_CODE.get(wanted.lower(), set()):
            raise KernelCheckError(f"{name}: OPENBLAS_CORETYPE={wanted} did not take effect (OpenBLAS reports "
                                   f"{report.get('corename')!r}; is NumPy linked to OpenBLAS?)")
        found[name] = str(report["fingerprint"])
    return found


def _import_path() -> list[str]:
    """Where this interpreter finds `grader` and the reference modules, for the child's PYTHONPATH: in this
    interpreter's own order (an author's tree on PYTHONPATH, with its own `reference` package, keeps
    precedence: `rnn-grader exercise validate`), this tree's root last if it is not there already."""
    root = str(Path(__file__).resolve().parent.parent)
    found = [p for p in sys.path if p and Path(p).is_dir()]
    return found if root in found else [*found, root]


def _openblas_corename() -> str | None:
    """The kernel the loaded OpenBLAS runs (openblas_get_corename, under any of its wheel's symbol names)."""
    import ctypes

    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    libraries = sorted({line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower() and "/" in line})
    for library in libraries:
        try:
            handle = ctypes.CDLL(library)
        except OSError:
            continue
        for symbol in ("openblas_get_corename", "openblas_get_corename64_", "scipy_openblas_get_corename64_",
                       "scipy_openblas_get_corename"):
            function = getattr(handle, symbol, None)
            if function is not None:
                function.restype = ctypes.c_char_p
                name = function()
                return name.decode() if isinstance(name, bytes) else None
    return None


def _child() -> None:
    """In the fresh interpreter: read the request from stdin, print {"fingerprint", "corename"}."""
    request = json.loads(sys.stdin.read())
    import numpy  # noqa: F401  (loads OpenBLAS, which reads OPENBLAS_CORETYPE now)

    from grader.exercise import load_exercise

    exercise = load_exercise(Path(request["exercise_dir"]))
    cases = [case for seed in request["seeds"] for case in exercise.hidden_cases(int(seed))]
    if request["public"]:
        cases += exercise.public_cases()
    print(json.dumps({"fingerprint": fingerprint(cases), "corename": _openblas_corename()}))


def main(argv: Sequence[str]) -> int:
    if list(argv) == ["--child"]:
        _child()
        return 0
    if not argv:
        print("usage: python -m grader.blas_kernels EXERCISE_DIR [SEED ...]", file=sys.stderr)
        return 2
    found = case_fingerprints(Path(argv[0]), [int(s) for s in argv[1:]])
    for kernel, digest in found.items():
        print(f"{kernel:12s} {digest}")
    return 0 if len(set(found.values())) <= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
