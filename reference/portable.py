"""Arithmetic whose results are the same bits on every machine, for building test cases from a seed.

A case must be a function of its seed alone, or a regrade on another machine grades different numbers. NumPy
does not promise that: a matrix product goes through BLAS, whose kernel (chosen per CPU, `OPENBLAS_CORETYPE`)
sums in its own order; `np.linalg` goes through LAPACK, which calls BLAS; `np.tanh` and `np.exp` run SIMD code
chosen per CPU; glibc's `tanh`/`expm1` have FMA variants chosen per CPU. Measured on one AMD EPYC: five OpenBLAS
kernels gave five different hidden cases for the same seeds, and `np.tanh` differed in 28% of its results once
NumPy's AVX2 code was switched off.

Everything here is built from IEEE-754 operations that are correctly rounded (+, -, *, /, sqrt, ldexp, rint),
each applied elementwise by its own NumPy call, in an order fixed by this code, never by a library: the same
inputs give the same bits wherever NumPy runs. Accuracy is a few units in the last place, which is all a case
input needs (the reference outputs are still computed by the reference, with its tolerances).
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

# exp(z) = 2^(k/64) exp(r) with |r| <= ln2/128: 2^(j/64) from a table, exp(r) by its series to r^6 (the next
# term is below 1e-19). ln2/64 is split in two (Cody and Waite): LN2_64_HI has its low 21 bits zero, so
# k * LN2_64_HI is exact for every k used here.
_TABLE_BITS = 6
LN2_64_HI = 6.93147180369123816490e-01 / 64
LN2_64_LO = 1.90821492927058770002e-10 / 64
_EXP_COEFFS = tuple(1.0 / math.factorial(n) for n in range(6, -1, -1))


def _exp2_table() -> Array:
    """2^(j/64) for j < 64, correctly rounded, computed in decimal (software, so the same on every machine)."""
    with decimal.localcontext() as ctx:
        ctx.prec = 40
        return np.array([float(decimal.Decimal(2) ** (decimal.Decimal(j) / 64)) for j in range(1 << _TABLE_BITS)])


_EXP2_TABLE = _exp2_table()
# Past this, tanh(a) rounds to exactly +-1 (1 - tanh(19.1) < 2**-54), and exp(2a) stays far from overflow.
_TANH_SATURATES = 20.0


def tree_sum(values: Array) -> Array:
    """Sum over the first axis by a pairwise tree whose shape depends only on the length (never on a library)."""
    v = values
    n = v.shape[0]
    if n == 0:
        return np.zeros(v.shape[1:])
    while n > 1:
        half = n // 2
        total = v[:half] + v[half:2 * half]
        if n % 2:
            total[0] += v[2 * half]
        v, n = total, half
    out: Array = v[0]
    return out


def matmul(a: Array, b: Array) -> Array:
    """a (..., n) @ b (n, m) -> (..., m): the products a[..., k] b[k, :], then a tree_sum over k."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    by_k = np.transpose(a, (a.ndim - 1, *range(a.ndim - 1)))[..., np.newaxis]
    return tree_sum(by_k * b.reshape((b.shape[0],) + (1,) * (a.ndim - 1) + (b.shape[1],)))


def sum_of_squares(arrays: list[Array]) -> float:
    """The sum of every entry squared, correctly rounded (math.fsum is exact, and so is its rounding)."""
    return math.fsum(float(v) for a in arrays for v in np.square(np.asarray(a, dtype=np.float64)).ravel())


def tanh(x: Array) -> Array:
    """tanh(x) = sign(x) (e - 1) / (e + 1) with e = exp(2|x|): absolute error below 3e-16, exactly +-1 where
    tanh rounds to it."""
    z = np.minimum(np.abs(x), _TANH_SATURATES)
    z *= 2.0
    k = np.rint(z * (1.0 / LN2_64_HI))
    r = z - k * LN2_64_HI
    r -= k * LN2_64_LO
    p = r * _EXP_COEFFS[0] + _EXP_COEFFS[1]
    for c in _EXP_COEFFS[2:]:
        p *= r
        p += c
    ki = k.astype(np.int64)
    e = np.ldexp(_EXP2_TABLE[ki & ((1 << _TABLE_BITS) - 1)] * p, ki >> _TABLE_BITS)
    out: Array = np.copysign((e - 1.0) / (e + 1.0), x)
    return out


def linear(w: Array) -> Callable[[Array], Array]:
    """The map v -> v @ w.T (v of shape (..., n), w of shape (m, n)), as matmul computes it, with w laid out
    once for the many calls of a recurrence."""
    w_by_k = np.ascontiguousarray(np.asarray(w, dtype=np.float64).T)

    def apply(v: Array) -> Array:
        by_k = np.transpose(v, (v.ndim - 1, *range(v.ndim - 1)))[..., np.newaxis]
        return tree_sum(by_k * w_by_k.reshape((w_by_k.shape[0],) + (1,) * (v.ndim - 1) + (w_by_k.shape[1],)))

    return apply


def norm(v: Array) -> float:
    """The Euclidean norm of all entries (a tree_sum of the squares, then sqrt)."""
    flat = np.ravel(v)
    return math.sqrt(float(tree_sum(flat * flat)))


def orthogonal(rng: np.random.Generator, n: int) -> Array:
    """A random n x n orthogonal matrix: the product of n - 1 Householder reflections of Gaussian vectors."""
    q = np.eye(n)
    for k in range(n - 1):
        v = rng.standard_normal(n - k)
        v[0] += math.copysign(norm(v), v[0])
        v = v / norm(v)
        block = q[:, k:]
        q[:, k:] = block - (2.0 * matmul(block, v[:, np.newaxis])) * v
    return q


def _in_unit_disc(rng: np.random.Generator, count: int) -> tuple[Array, Array]:
    """`count` points uniform in the upper half of the unit disc, by rejection (no sin or cos)."""
    re: list[float] = []
    im: list[float] = []
    while len(re) < count:
        u, v = rng.uniform(-1.0, 1.0, (2, 2 * count))
        for a, b in zip(u, v, strict=True):
            if a * a + b * b <= 1.0 and len(re) < count:
                re.append(float(a))
                im.append(abs(float(b)))
    return np.array(re), np.array(im)


def with_spectral_radius(rng: np.random.Generator, n: int, radius: float) -> Array:
    """A random real n x n matrix whose largest eigenvalue modulus is `radius`, by construction.

    Q T Q^T with Q orthogonal and T in real Schur form: the eigenvalues are those of T's diagonal blocks (1x1 for
    a real one, [[a, b], [-b, a]] for a +- ib), drawn uniformly in the disc as a Gaussian matrix's are (the
    circular law) and scaled so the largest modulus is `radius`; above the blocks, Gaussian entries of std
    radius / sqrt(n), as in the Schur form of a Gaussian matrix of that spectral radius, so the matrix is as far
    from normal as one. No eigenvalue is ever computed: nothing depends on LAPACK. Rounding in the two products
    moves the spectral radius by ~1e-15 relative.
    """
    n_real = min(n, n % 2 + 2 * int(rng.integers(0, 3)))
    pairs = (n - n_real) // 2
    real = rng.uniform(-1.0, 1.0, n_real)
    re, im = _in_unit_disc(rng, pairs)
    largest = math.sqrt(max(np.max(real * real, initial=0.0), np.max(re * re + im * im, initial=0.0)))
    scale = radius / largest
    real, re, im = real * scale, re * scale, im * scale
    t = np.triu(rng.standard_normal((n, n)) * (radius / math.sqrt(n)), 1)
    blocks = [(1, float(v), 0.0) for v in real] + [(2, float(a), float(b)) for a, b in zip(re, im, strict=True)]
    i = 0
    for k in rng.permutation(len(blocks)):
        size, a, b = blocks[k]
        t[i, i] = a
        if size == 2:
            t[i + 1, i + 1] = a
            t[i, i + 1] = b
            t[i + 1, i] = -b
        i += size
    q = orthogonal(rng, n)
    return matmul(matmul(q, t), q.T)
