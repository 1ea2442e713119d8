"""Every catalogued mistake of exercise `rnn`, written by hand into at least five of the ten independently
written correct solutions of tests/fixtures/similarity/independent, the way a student of that style would
write it. Each entry is a reproducible source patch: (old, new) replacements applied in order, each `old`
occurring exactly once in the file at that point.

These are not the catalogue's mutants (reference.rnn_mutants patches one base solution): they are other
people's code with the same mistake, which is what naming must recognise. docs/feedback.md reports how
precisely and how often the grader names them (benchmarks/mistake_naming.py; CI checks a subset,
tests/exercise/test_naming_precision.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SOLUTIONS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "similarity" / "independent"




@dataclass(frozen=True)
class Lines:
    """A patch's `old` given as a block of whole lines: from the line that starts with `first` (after its
    indentation) to the next line that contains `last`, both included. Spares copying a loop of the solution."""

    first: str
    last: str

    def find(self, text: str) -> str:
        starts = [m.start() for m in re.finditer(rf"(?m)^[ ]*{re.escape(self.first)}", text)]
        if len(starts) != 1:
            raise ValueError(f"{self.first!r} starts {len(starts)} lines")
        end = text.index(self.last, starts[0])
        return text[starts[0]:text.index("\n", end) + 1]


Patch = tuple[tuple[str | Lines, str], ...]

# The backward time loops the truncated-BPTT patches replace.
_S01_BACKWARD_LOOP = Lines("for t in range(T - 1, -1, -1):", "dh_next = da @ W_hh")
_S03_BACKWARD_LOOP = Lines("for t in reversed(range(T)):", "db += c")
_S04_GRADS_LOOP = Lines("for i in range(x.shape[0] - 1, -1, -1):", "upstream = local @ self.W_hh")
_S05_BACKWARD_LOOP = Lines("for t in range(T - 1, -1, -1):", "rec = da[t] @ W_hh")
_S08_BACKWARD_INNER = Lines("future = np.zeros(W_hh.shape[0])", 'grads["h0"][b] = future')
_S09_BACKWARD_LOOP = Lines("for i in reversed(range(length)):", "from_future = dz.dot(W_hh)")

WRITTEN: dict[str, dict[str, Patch]] = {
    # ------------------------------------------------------------------ forward
    "forward.w_hh_not_transposed": {
        "s01_loops": (("h_prev @ W_hh.T", "h_prev @ W_hh"),),
        "s02_einsum": (('np.einsum("hk,bk->bh", W_hh, state)', 'np.einsum("kh,bk->bh", W_hh, state)'),),
        "s03_step_functions": (("np.dot(h_prev, W_hh.T)", "np.dot(h_prev, W_hh)"),),
        "s05_vectorised": (("cur @ W_hh.T", "cur @ W_hh"),),
        "s06_columns": (("np.matmul(W_hh, h_col)", "np.matmul(W_hh.T, h_col)"),),
        "s08_batch_rows": (("W_hh.dot(prev)", "W_hh.T.dot(prev)"),),
        "s10_generator": (("h @ W_hh.T", "h @ W_hh"),),
    },
    "forward.h_prev_not_updated": {
        "s01_loops": (("        h_prev = h[t]\n", ""),),
        "s03_step_functions": (("h_t, _ = step_forward(x[t], h_t, W_xh, W_hh, b_h)\n        hs.append(h_t)",
                                "h_new, _ = step_forward(x[t], h_t, W_xh, W_hh, b_h)\n        hs.append(h_new)"),),
        "s05_vectorised": (("cur = np.tanh(proj[t] + cur @ W_hh.T)\n        h[t] = cur",
                            "h[t] = np.tanh(proj[t] + cur @ W_hh.T)"),),
        "s06_columns": (("        h_col = np.tanh(np.matmul(W_xh, x[t].T) + np.matmul(W_hh, h_col) + bias_h)\n"
                         "        hidden.append(h_col.T)\n"
                         "        outputs.append((np.matmul(W_hy, h_col) + bias_y).T)",
                         "        h_new = np.tanh(np.matmul(W_xh, x[t].T) + np.matmul(W_hh, h_col) + bias_h)\n"
                         "        hidden.append(h_new.T)\n"
                         "        outputs.append((np.matmul(W_hy, h_new) + bias_y).T)"),),
        "s08_batch_rows": (("prev = np.tanh(W_xh.dot(x[s, b]) + W_hh.dot(prev) + b_h)\n            H[s, b] = prev\n"
                            "            Y[s, b] = W_hy.dot(prev) + b_y",
                            "H[s, b] = np.tanh(W_xh.dot(x[s, b]) + W_hh.dot(prev) + b_h)\n"
                            "            Y[s, b] = W_hy.dot(H[s, b]) + b_y"),),
        "s10_generator": (("        h = np.tanh(frame @ W_xh.T + h @ W_hh.T + b_h)\n        yield h",
                           "        yield np.tanh(frame @ W_xh.T + h @ W_hh.T + b_h)"),),
    },
    "forward.no_recurrence": {
        "s01_loops": ((" + h_prev @ W_hh.T", ""),),
        "s03_step_functions": ((" + np.dot(h_prev, W_hh.T)", ""),),
        "s04_class": ((" + state @ self.W_hh.T", ""),),
        "s05_vectorised": ((" + cur @ W_hh.T", ""),),
        "s06_columns": ((" + np.matmul(W_hh, h_col)", ""),),
        "s07_functional": ((" + state @ W_hh.T", ""),),
        "s10_generator": ((" + h @ W_hh.T", ""),),
    },
    "forward.missing_b_h": {
        "s01_loops": (("h_prev @ W_hh.T + b_h)", "h_prev @ W_hh.T)"),),
        "s02_einsum": (('np.einsum("hk,bk->bh", W_hh, state) + b_h', 'np.einsum("hk,bk->bh", W_hh, state)'),),
        "s03_step_functions": (("np.dot(h_prev, W_hh.T) + b_h)", "np.dot(h_prev, W_hh.T))"),),
        "s05_vectorised": (("(T, B, -1) + b_h", "(T, B, -1)"),),
        "s06_columns": ((" + bias_h)", ")"),),
        "s08_batch_rows": ((" + W_hh.dot(prev) + b_h)", " + W_hh.dot(prev))"),),
        "s09_cache_dict": ((".dot(W_hh.T) + b_h", ".dot(W_hh.T)"),),
    },
    "forward.missing_b_y": {
        "s01_loops": (("y[t] = h[t] @ W_hy.T + b_y", "y[t] = h[t] @ W_hy.T"),),
        "s02_einsum": (("hidden) + b_y", "hidden)"),),
        "s03_step_functions": (("y = np.dot(h, W_hy.T) + b_y", "y = np.dot(h, W_hy.T)"),),
        "s05_vectorised": (("(T, B, -1) + b_y", "(T, B, -1)"),),
        "s06_columns": ((" + bias_y).T", ").T"),),
        "s07_functional": (("s @ W_hy.T + b_y", "s @ W_hy.T"),),
        "s10_generator": (("np.matmul(h, W_hy.T) + b_y", "np.matmul(h, W_hy.T)"),),
    },
    "forward.h_includes_h0": {
        "s01_loops": (("h = np.zeros((T, B, H))", "h = np.zeros((T + 1, B, H))\n    h[0] = h0"),
                      ("h[t] = np.tanh(", "h[t + 1] = np.tanh("),
                      ("y[t] = h[t] @ W_hy.T + b_y\n        h_prev = h[t]",
                       "y[t] = h[t + 1] @ W_hy.T + b_y\n        h_prev = h[t + 1]")),
        "s05_vectorised": (("h = np.empty_like(proj)", "h = np.empty((T + 1,) + proj.shape[1:])\n    h[0] = h0"),
                           ("h[t] = cur", "h[t + 1] = cur"),
                           ("y = (h.reshape(T * B, -1)", "y = (h[1:].reshape(T * B, -1)")),
        "s06_columns": (("hidden, outputs = [], []", "hidden, outputs = [h0], []"),),
        "s08_batch_rows": (("H = np.zeros((seq_len, batch, hidden_size))",
                            "H = np.zeros((seq_len + 1, batch, hidden_size))\n    H[0] = h0"),
                           ("H[s, b] = prev", "H[s + 1, b] = prev")),
        "s09_cache_dict": (('hs = np.array([cache["h"][i] for i in range(length)])',
                            'hs = np.array([cache["h"][i] for i in range(-1, length)])'),),
    },
    "forward.wrong_activation": {
        "s01_loops": (("np.tanh(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h)",
                       "1 / (1 + np.exp(-(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h)))"),),
        "s03_step_functions": (("np.tanh(np.dot(x_t, W_xh.T) + np.dot(h_prev, W_hh.T) + b_h)",
                                "np.maximum(0, np.dot(x_t, W_xh.T) + np.dot(h_prev, W_hh.T) + b_h)"),),
        "s04_class": (("return np.tanh(inp @ self.W_xh.T + state @ self.W_hh.T + self.b_h)",
                       "return np.maximum(inp @ self.W_xh.T + state @ self.W_hh.T + self.b_h, 0.0)"),),
        "s05_vectorised": (("cur = np.tanh(proj[t] + cur @ W_hh.T)", "cur = np.maximum(proj[t] + cur @ W_hh.T, 0)"),),
        "s09_cache_dict": (('cache["h"][i] = np.tanh(z)', 'cache["h"][i] = 1.0 / (1.0 + np.exp(-z))'),),
        "s10_generator": (("h = np.tanh(frame @ W_xh.T + h @ W_hh.T + b_h)",
                           "h = 1 / (1 + np.exp(-(frame @ W_xh.T + h @ W_hh.T + b_h)))"),),
    },
    "forward.tanh_overflows": {
        "s01_loops": (("        h[t] = np.tanh(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h)",
                       "        a = x[t] @ W_xh.T + h_prev @ W_hh.T + b_h\n"
                       "        h[t] = (np.exp(2 * a) - 1) / (np.exp(2 * a) + 1)"),),
        "s03_step_functions": (("h_next = np.tanh(np.dot(x_t, W_xh.T) + np.dot(h_prev, W_hh.T) + b_h)",
                                "z = np.dot(x_t, W_xh.T) + np.dot(h_prev, W_hh.T) + b_h\n"
                                "    h_next = (1 - np.exp(-2 * z)) / (1 + np.exp(-2 * z))"),),
        "s04_class": (("return np.tanh(inp @ self.W_xh.T + state @ self.W_hh.T + self.b_h)",
                       "a = inp @ self.W_xh.T + state @ self.W_hh.T + self.b_h\n"
                       "        return np.sinh(a) / np.cosh(a)"),),
        "s05_vectorised": (("cur = np.tanh(proj[t] + cur @ W_hh.T)",
                            "a = proj[t] + cur @ W_hh.T\n        cur = (1 - np.exp(-2 * a)) / (1 + np.exp(-2 * a))"),),
        "s07_functional": (("def _cell(W_xh, W_hh, b_h):\n    return lambda state, inp: np.tanh(",
                            "def _tanh(a):\n    e = np.exp(2 * a)\n    return (e - 1) / (e + 1)\n\n\n"
                            "def _cell(W_xh, W_hh, b_h):\n    return lambda state, inp: _tanh("),),
        "s09_cache_dict": (('cache["h"][i] = np.tanh(z)',
                            'cache["h"][i] = (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))'),),
    },
    "forward.y_from_h_prev": {
        "s01_loops": (("y[t] = h[t] @ W_hy.T + b_y", "y[t] = h_prev @ W_hy.T + b_y"),),
        "s05_vectorised": (("y = (h.reshape(T * B, -1) @ W_hy.T)",
                            "y = (np.concatenate([h0[None], h[:-1]]).reshape(T * B, -1) @ W_hy.T)"),),
        "s06_columns": (("        h_col = np.tanh(np.matmul(W_xh, x[t].T) + np.matmul(W_hh, h_col) + bias_h)\n"
                         "        hidden.append(h_col.T)\n"
                         "        outputs.append((np.matmul(W_hy, h_col) + bias_y).T)",
                         "        outputs.append((np.matmul(W_hy, h_col) + bias_y).T)\n"
                         "        h_col = np.tanh(np.matmul(W_xh, x[t].T) + np.matmul(W_hh, h_col) + bias_h)\n"
                         "        hidden.append(h_col.T)"),),
        "s07_functional": (("[s @ W_hy.T + b_y for s in states]", "[s @ W_hy.T + b_y for s in [h0] + states[:-1]]"),),
        "s08_batch_rows": (("            prev = np.tanh(W_xh.dot(x[s, b]) + W_hh.dot(prev) + b_h)\n"
                            "            H[s, b] = prev\n            Y[s, b] = W_hy.dot(prev) + b_y",
                            "            Y[s, b] = W_hy.dot(prev) + b_y\n"
                            "            prev = np.tanh(W_xh.dot(x[s, b]) + W_hh.dot(prev) + b_h)\n"
                            "            H[s, b] = prev"),),
        "s09_cache_dict": (('cache["h"][i].dot(W_hy.T) + b_y', 'cache["h"][i - 1].dot(W_hy.T) + b_y'),),
    },
    # ------------------------------------------------------------------ backward
    "backward.missing_tanh_derivative": {
        "s01_loops": (("da = dh * (1 - h[t] ** 2)", "da = dh"),),
        "s03_step_functions": (("dz = (1.0 - h_next * h_next) * dh_next", "dz = dh_next"),),
        "s04_class": (("local = total * (1 - states[i] ** 2)", "local = total"),),
        "s05_vectorised": (("da[t] = (dh_out[t] + rec) * (1.0 - h[t] ** 2)", "da[t] = dh_out[t] + rec"),),
        "s06_columns": ((" * (1 - h_col * h_col)", ""),),
        "s09_cache_dict": (("dz = dtanh_from_output(states[i]) * (dy[i].dot(W_hy) + from_future)",
                            "dz = dy[i].dot(W_hy) + from_future"),),
        "s10_generator": (("delta = (np.matmul(dy[t], W_hy) + carried) * (1.0 - h[t] * h[t])",
                           "delta = np.matmul(dy[t], W_hy) + carried"),),
    },
    "backward.tanh_derivative_wrong_value": {
        "s01_loops": (("(1 - h[t] ** 2)", "(1 - np.tanh(h[t]) ** 2)"),),
        "s04_class": (("(1 - states[i] ** 2)", "(1 - before ** 2)"),),
        "s05_vectorised": (("(1.0 - h[t] ** 2)", "(1.0 - np.tanh(h[t]) ** 2)"),),
        "s08_batch_rows": (("(1 - h[s, b] ** 2)", "(1 - np.tanh(h[s, b]) ** 2)"),),
        "s09_cache_dict": (("return 1.0 - out ** 2", "return 1.0 - np.tanh(out) ** 2"),),
        "s10_generator": (("(1.0 - h[t] * h[t])", "(1.0 - np.tanh(h[t]) ** 2)"),),
    },
    "backward.no_dh_next": {
        "s01_loops": (("dh = dy[t] @ W_hy + dh_next", "dh = dy[t] @ W_hy"),),
        "s03_step_functions": (("dh_t = np.dot(dy[t], W_hy) + dh_prev", "dh_t = np.dot(dy[t], W_hy)"),),
        "s04_class": (("total = dy[i] @ self.W_hy + upstream", "total = dy[i] @ self.W_hy"),),
        "s05_vectorised": (("da[t] = (dh_out[t] + rec) * (1.0 - h[t] ** 2)", "da[t] = dh_out[t] * (1.0 - h[t] ** 2)"),),
        "s09_cache_dict": (("(dy[i].dot(W_hy) + from_future)", "dy[i].dot(W_hy)"),),
        "s10_generator": (("(np.matmul(dy[t], W_hy) + carried)", "np.matmul(dy[t], W_hy)"),),
    },
    "backward.w_hh_transposed_in_carry": {
        "s01_loops": (("dh_next = da @ W_hh", "dh_next = da @ W_hh.T"),),
        "s03_step_functions": (("dh_prev = np.dot(dz, W_hh)", "dh_prev = np.dot(dz, W_hh.T)"),),
        "s04_class": (("upstream = local @ self.W_hh", "upstream = local @ self.W_hh.T"),),
        "s05_vectorised": (("rec = da[t] @ W_hh", "rec = da[t] @ W_hh.T"),),
        "s06_columns": (("+ np.matmul(W_hh.T, delta_next)) *", "+ np.matmul(W_hh, delta_next)) *"),
                        ("gh0 = np.matmul(W_hh.T, delta_next).T", "gh0 = np.matmul(W_hh, delta_next).T")),
        "s09_cache_dict": (("from_future = dz.dot(W_hh)", "from_future = dz.dot(W_hh.T)"),),
        "s10_generator": (("carried = np.matmul(delta, W_hh)", "carried = np.matmul(delta, W_hh.T)"),),
    },
    "backward.dw_hh_uses_h_t": {
        "s01_loops": (("dW_hh += da.T @ h_prev", "dW_hh += da.T @ h[t]"),),
        "s03_step_functions": (("dWh = np.dot(dz.T, h_prev)", "dWh = np.dot(dz.T, h_next)"),),
        "s04_class": (("local.T @ before", "local.T @ states[i]"),),
        "s05_vectorised": (("h_shift.reshape(T * B, H)", "h.reshape(T * B, H)"),),
        "s08_batch_rows": (("np.outer(g, before)", "np.outer(g, h[s, b])"),),
        "s09_cache_dict": (("dz.T.dot(states[i - 1])", "dz.T.dot(states[i])"),),
        "s10_generator": (("np.matmul(delta.T, earlier)", "np.matmul(delta.T, h[t])"),),
    },
    "backward.weight_gradient_transposed": {
        "s01_loops": (("dW_hh += da.T @ h_prev", "dW_hh += h_prev.T @ da"),),
        "s02_einsum": (('"W_hh": np.einsum("tbh,tbk->hk", dpre, prev)',
                        '"W_hh": np.einsum("tbh,tbk->kh", dpre, prev)'),),
        "s03_step_functions": (("dWh = np.dot(dz.T, h_prev)", "dWh = np.dot(h_prev.T, dz)"),),
        "s04_class": (("local.T @ before", "before.T @ local"),),
        "s08_batch_rows": (("np.outer(g, before)", "np.outer(before, g)"),),
        "s09_cache_dict": (("dz.T.dot(states[i - 1])", "states[i - 1].T.dot(dz)"),),
        "s10_generator": (("np.matmul(delta.T, earlier)", "np.matmul(earlier.T, delta)"),),
    },
    "backward.bias_wrong_axis": {
        "s01_loops": (("db_h = np.zeros(W_hh.shape[0])",
                       "db_h = 0"), ("db_h += da.sum(axis=0)", "db_h += da.sum(axis=1)")),
        "s03_step_functions": (("db = np.zeros(W_hh.shape[0])", "db = 0.0"),
                               ("db = np.sum(dz, axis=0)", "db = np.sum(dz, axis=1)")),
        "s04_class": (('g["b_y"] = dy.sum(axis=(0, 1))', 'g["b_y"] = dy.sum(axis=(0, 2))'),),
        "s05_vectorised": (('"b_h": da2.sum(axis=0)', '"b_h": da.sum(axis=(0, 2))'),),
        "s09_cache_dict": (('out["b_h"] = np.zeros(len(W_hh))', 'out["b_h"] = 0'),
                           ('out["b_h"] += np.sum(dz, axis=0)', 'out["b_h"] += np.sum(dz, axis=1)')),
        "s10_generator": (("b_h=np.zeros(W_hh.shape[0])", "b_h=0.0"),
                          ('result["b_h"] += delta.sum(axis=0)', 'result["b_h"] += delta.sum(axis=1)')),
    },
    "backward.dh0_missing": {
        "s01_loops": (('"h0": dh_next}', '"h0": np.zeros_like(h0)}'),),
        "s03_step_functions": ((', "h0": dh_prev}', "}"),),
        "s04_class": (('g["h0"] = upstream', 'g["h0"] = np.zeros_like(h0)'),),
        "s05_vectorised": (('"h0": rec,', '"h0": np.zeros((B, H)),'),),
        "s08_batch_rows": (('        grads["h0"][b] = future\n', ""),),
        "s09_cache_dict": (('out["h0"] = from_future', 'out["h0"] = np.zeros(h0.shape)'),),
        "s10_generator": (('        result["h0"] = carried\n', ""),),
    },
    "backward.dh0_off_by_one": {
        "s01_loops": (('"h0": dh_next}', '"h0": dh}'),),
        "s03_step_functions": (('"h0": dh_prev}', '"h0": dh_t}'),),
        "s04_class": (('g["h0"] = upstream', 'g["h0"] = total'),),
        "s05_vectorised": (("        da[t] = (dh_out[t] + rec) * (1.0 - h[t] ** 2)",
                            "        dh = dh_out[t] + rec\n        da[t] = dh * (1.0 - h[t] ** 2)"),
                           ('"h0": rec,', '"h0": dh,')),
        "s08_batch_rows": (("            g = (W_hy.T.dot(dy[s, b]) + future) * (1 - h[s, b] ** 2)",
                            "            dh = W_hy.T.dot(dy[s, b]) + future\n            g = dh * (1 - h[s, b] ** 2)"),
                           ('grads["h0"][b] = future', 'grads["h0"][b] = dh')),
        "s09_cache_dict": (("        dz = dtanh_from_output(states[i]) * (dy[i].dot(W_hy) + from_future)",
                            "        dh = dy[i].dot(W_hy) + from_future\n"
                            "        dz = dtanh_from_output(states[i]) * dh"),
                           ('out["h0"] = from_future', 'out["h0"] = dh')),
    },
    "backward.only_last_dy": {
        "s01_loops": (("dh = dy[t] @ W_hy + dh_next", "dh = (dy[t] @ W_hy if t == T - 1 else 0) + dh_next"),),
        "s03_step_functions": (("dh_t = np.dot(dy[t], W_hy) + dh_prev",
                                "dh_t = (np.dot(dy[t], W_hy) if t == T - 1 else 0) + dh_prev"),),
        "s04_class": (("total = dy[i] @ self.W_hy + upstream",
                       "total = (dy[i] @ self.W_hy if i == x.shape[0] - 1 else 0) + upstream"),),
        "s05_vectorised": (("    da = np.empty_like(h)\n", "    dh_out[:-1] = 0\n    da = np.empty_like(h)\n"),),
        "s09_cache_dict": (("(dy[i].dot(W_hy) + from_future)",
                            "((dy[i].dot(W_hy) if i == length - 1 else 0) + from_future)"),),
        "s10_generator": (("(np.matmul(dy[t], W_hy) + carried)",
                           "((np.matmul(dy[t], W_hy) if t == h.shape[0] - 1 else 0.0) + carried)"),),
    },
    "backward.truncated_bptt": {
        # WildML's tutorial style: each step's gradient goes back at most bptt_truncate steps.
        "s01_loops": ((_S01_BACKWARD_LOOP,
                       "    bptt_truncate = 4\n"
                       "    for t in range(T - 1, -1, -1):\n"
                       "        dW_hy += dy[t].T @ h[t]\n"
                       "        db_y += dy[t].sum(axis=0)\n"
                       "        dh = dy[t] @ W_hy\n"
                       "        for s in range(t, max(t - bptt_truncate, 0) - 1, -1):\n"
                       "            da = dh * (1 - h[s] ** 2)\n"
                       "            h_prev = h[s - 1] if s > 0 else h0\n"
                       "            dW_xh += da.T @ x[s]\n"
                       "            dW_hh += da.T @ h_prev\n"
                       "            db_h += da.sum(axis=0)\n"
                       "            dx[s] += da @ W_xh\n"
                       "            dh = da @ W_hh\n"
                       "            if s == 0:\n"
                       "                dh_next += dh\n"),),
        "s03_step_functions": ((_S03_BACKWARD_LOOP,
                                "    K = 8\n"
                                "    for t in reversed(range(T)):\n"
                                "        dh_t = np.dot(dy[t], W_hy)\n"
                                "        for s in range(t, max(-1, t - K - 1), -1):\n"
                                "            cache = (x[s], h0 if s == 0 else h[s - 1], h[s])\n"
                                "            dx_s, dh_t, a, b, c = step_backward(dh_t, cache, W_xh, W_hh)\n"
                                "            dx[s] += dx_s\n"
                                "            dWx += a\n"
                                "            dWh += b\n"
                                "            db += c\n"
                                "            if s == 0:\n"
                                "                dh_prev += dh_t\n"),
                               ("dx = np.empty_like(x)", "dx = np.zeros_like(x)")),
        "s04_class": ((_S04_GRADS_LOOP,
                       "        window = 10\n"
                       "        for i in range(x.shape[0] - 1, -1, -1):\n"
                       '            g["W_hy"] += dy[i].T @ states[i]\n'
                       "            total = dy[i] @ self.W_hy\n"
                       "            for j in range(i, max(i - window, 0) - 1, -1):\n"
                       "                before = states[j - 1] if j else h0\n"
                       "                local = total * (1 - states[j] ** 2)\n"
                       '                g["W_xh"] += local.T @ x[j]\n'
                       '                g["W_hh"] += local.T @ before\n'
                       '                g["b_h"] += local.sum(0)\n'
                       '                g["x"][j] += local @ self.W_xh\n'
                       "                total = local @ self.W_hh\n"
                       "                if j == 0:\n"
                       "                    upstream = upstream + total\n"),),
        "s05_vectorised": ((_S05_BACKWARD_LOOP,
                            "    k = 16\n"
                            "    da = np.zeros_like(h)\n"
                            "    for t in range(T - 1, -1, -1):\n"
                            "        grad = dh_out[t]\n"
                            "        for s in range(t, max(t - k, 0) - 1, -1):\n"
                            "            step = grad * (1.0 - h[s] ** 2)\n"
                            "            da[s] += step\n"
                            "            grad = step @ W_hh\n"
                            "            if s == 0:\n"
                            "                rec = rec + grad\n"),
                           ("    da = np.empty_like(h)\n", "")),
        "s08_batch_rows": ((_S08_BACKWARD_INNER,
                            "        for s in range(seq_len - 1, -1, -1):\n"
                            '            grads["W_hy"] += np.outer(dy[s, b], h[s, b])\n'
                            '            grads["b_y"] += dy[s, b]\n'
                            "            back = W_hy.T.dot(dy[s, b])\n"
                            "            for r in range(s, max(s - 3, 0) - 1, -1):\n"
                            "                g = back * (1 - h[r, b] ** 2)\n"
                            "                before = h[r - 1, b] if r > 0 else h0[b]\n"
                            '                grads["W_xh"] += np.outer(g, x[r, b])\n'
                            '                grads["W_hh"] += np.outer(g, before)\n'
                            '                grads["b_h"] += g\n'
                            '                grads["x"][r, b] += W_xh.T.dot(g)\n'
                            "                back = W_hh.T.dot(g)\n"
                            "                if r == 0:\n"
                            '                    grads["h0"][b] += back\n'),),
        "s09_cache_dict": ((_S09_BACKWARD_LOOP,
                            "    truncate = 5\n"
                            "    for i in reversed(range(length)):\n"
                            '        out["W_hy"] += dy[i].T.dot(states[i])\n'
                            '        out["b_y"] += np.sum(dy[i], axis=0)\n'
                            "        grad = dy[i].dot(W_hy)\n"
                            "        for j in range(i, max(-1, i - truncate - 1), -1):\n"
                            "            dz = dtanh_from_output(states[j]) * grad\n"
                            '            out["W_xh"] += dz.T.dot(x[j])\n'
                            '            out["W_hh"] += dz.T.dot(states[j - 1])\n'
                            '            out["b_h"] += np.sum(dz, axis=0)\n'
                            '            out["x"][j] += dz.dot(W_xh)\n'
                            "            grad = dz.dot(W_hh)\n"
                            "            if j == 0:\n"
                            "                from_future = from_future + grad\n"),),
    },
    "backward.h0_assumed_zero": {
        "s01_loops": (("            h_prev = h0", "            h_prev = np.zeros_like(h0)"),),
        "s02_einsum": (("prev = np.concatenate([h0[None, :, :], h[:-1]], axis=0)",
                        "prev = np.concatenate([np.zeros_like(h0)[None, :, :], h[:-1]], axis=0)"),),
        "s04_class": (("before = states[i - 1] if i else h0", "before = states[i - 1] if i else 0 * h0"),),
        "s05_vectorised": (("h_shift = np.concatenate((h0[np.newaxis], h[:-1]))",
                            "h_shift = np.concatenate((np.zeros((1, B, H)), h[:-1]))"),),
        "s07_functional": (("previous = [h0] + [", "previous = [np.zeros_like(h0)] + ["),),
        "s09_cache_dict": (("states = {-1: h0}", "states = {-1: np.zeros_like(h0)}"),),
        "s10_generator": (('        result["W_hh"] += np.matmul(delta.T, earlier)',
                           '        if t > 0:\n            result["W_hh"] += np.matmul(delta.T, earlier)'),),
    },
    "backward.first_step_uses_h_T": {
        "s01_loops": (("        if t > 0:\n            h_prev = h[t - 1]\n        else:\n            h_prev = h0",
                       "        h_prev = h[t - 1]"),),
        "s03_step_functions": (("cache = (x[t], h0 if t == 0 else h[t - 1], h[t])", "cache = (x[t], h[t - 1], h[t])"),),
        "s04_class": (("before = states[i - 1] if i else h0", "before = states[i - 1]"),),
        "s07_functional": (("previous = [h0] + [h[i] for i in range(len(h) - 1)]",
                            "previous = [h[i - 1] for i in range(len(h))]"),),
        "s08_batch_rows": (("before = h[s - 1, b] if s > 0 else h0[b]", "before = h[s - 1, b]"),),
        # A list in place of the dict keyed from -1: states[-1] is now the last state, not h0.
        "s09_cache_dict": (("states = {-1: h0}\n    states.update({i: h[i] for i in range(length)})",
                            "states = [h[i] for i in range(length)]"),),
        "s10_generator": (("earlier = h0 if t == 0 else h[t - 1]", "earlier = h[t - 1]"),),
    },
    # ------------------------------------------------------------------ clip
    "clip.per_tensor_norm": {
        "s01_loops": (("        if coef < 1:\n            clipped[name] = grads[name] * coef",
                       "        c = max_norm / (float(np.sqrt(np.sum(grads[name] ** 2))) + 1e-6)\n"
                       "        if c < 1:\n            clipped[name] = grads[name] * c"),),
        "s02_einsum": (("{key: value * factor for key, value in grads.items()}",
                        "{key: value * min(1.0, max_norm / (np.linalg.norm(value) + 1e-6)) "
                        "for key, value in grads.items()}"),),
        "s05_vectorised": (("[g * c for g in grads.values()]",
                            "[g * np.minimum(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads.values()]"),),
        "s06_columns": (("        out[k] = grads[k] * ratio if ratio < 1 else grads[k] + 0.0",
                         "        r = max_norm / (np.linalg.norm(grads[k].ravel()) + 1e-6)\n"
                         "        out[k] = grads[k] * r if r < 1 else grads[k] + 0.0"),),
        "s07_functional": (("{n: g * (k if k < 1 else 1.0) for n, g in grads.items()}",
                            "{n: g * min(1.0, max_norm / (float(np.sqrt(np.vdot(g, g))) + 1e-6)) "
                            "for n, g in grads.items()}"),),
        "s09_cache_dict": (("new[key] = val * min(clip, 1.0)",
                            "new[key] = val * min(max_norm / (np.linalg.norm(val) + 1e-6), 1.0)"),),
    },
    "clip.elementwise": {
        "s01_loops": (("clipped[name] = grads[name] * coef",
                       "clipped[name] = np.clip(grads[name], -max_norm, max_norm)"),),
        "s03_step_functions": (("{k: scale * v for k, v in grads.items()}",
                                "{k: np.clip(v, -max_norm, max_norm) for k, v in grads.items()}"),),
        "s04_class": (("arr * clip_coef if clip_coef < 1.0 else np.array(arr, copy=True)",
                       "np.clip(arr, -max_norm, max_norm)"),),
        "s05_vectorised": (("[g * c for g in grads.values()]",
                            "[np.clip(g, -max_norm, max_norm) for g in grads.values()]"),),
        "s07_functional": (("{n: g * (k if k < 1 else 1.0) for n, g in grads.items()}",
                            "{n: np.clip(g, -max_norm, max_norm) for n, g in grads.items()}"),),
        "s08_batch_rows": (("{a: b * (max_norm / (n + 1e-6)) for a, b in grads.items()}",
                            "{a: np.minimum(np.maximum(b, -max_norm), max_norm) for a, b in grads.items()}"),),
        "s10_generator": (("{name: g * (max_norm / (total + 1e-6)) for name, g in grads.items()}",
                           "{name: np.clip(g, -max_norm, max_norm) for name, g in grads.items()}"),),
    },
    "clip.always_rescales": {
        "s01_loops": (("        if coef < 1:\n            clipped[name] = grads[name] * coef\n"
                       "        else:\n            clipped[name] = grads[name].copy()",
                       "        clipped[name] = grads[name] * coef"),),
        "s02_einsum": (("factor = min(1.0, max_norm / (norm + 1e-6))", "factor = max_norm / (norm + 1e-6)"),),
        "s03_step_functions": (("    if scale >= 1:\n        scale = 1.0\n", ""),),
        "s05_vectorised": (("c = np.minimum(1.0, max_norm / (total + 1e-6))", "c = max_norm / (total + 1e-6)"),),
        "s07_functional": (("g * (k if k < 1 else 1.0)", "g * k"),),
        "s09_cache_dict": (("val * min(clip, 1.0)", "val * clip"),),
    },
    "clip.norm_after_clipping": {
        "s02_einsum": (("    return {key: value * factor for key, value in grads.items()}, norm",
                        "    clipped = {key: value * factor for key, value in grads.items()}\n"
                        "    return clipped, float(np.sqrt(sum(np.sum(v ** 2) for v in clipped.values())))"),),
        "s03_step_functions": (("    return {k: scale * v for k, v in grads.items()}, norm",
                                "    clipped = {k: scale * v for k, v in grads.items()}\n"
                                "    return clipped, global_norm(clipped.values())"),),
        "s04_class": (("return result, total_norm",
                       "return result, math.sqrt(sum(float((a ** 2).sum()) for a in result.values()))"),),
        "s05_vectorised": (("    return dict(zip(grads.keys(), [g * c for g in grads.values()])), total",
                            "    out = dict(zip(grads.keys(), [g * c for g in grads.values()]))\n"
                            "    return out, float(np.linalg.norm(np.concatenate([np.ravel(g) "
                            "for g in out.values()])))"),),
        "s09_cache_dict": (("return new, norm",
                            "return new, float(np.sqrt(sum(np.sum(v ** 2) for v in new.values())))"),),
    },
    "clip.returns_max_norm": {
        "s01_loops": (("return clipped, total", "return clipped, max_norm"),),
        "s03_step_functions": (("for k, v in grads.items()}, norm",
                                "for k, v in grads.items()}, min(norm, max_norm)"),),
        "s06_columns": (("return out, total", "return out, min(total, max_norm)"),),
        "s07_functional": (("for n, g in grads.items()}, total", "for n, g in grads.items()}, min(total, max_norm)"),),
        "s09_cache_dict": (("return new, norm", "return new, max_norm"),),
        "s10_generator": (("for name, g in grads.items()}, total\n    return",
                           "for name, g in grads.items()}, max_norm\n    return"),),
    },
    "clip.max_norm_below_one_ignored": {
        "s01_loops": (("coef = max_norm / (total + 1e-6)", "coef = max(max_norm, 1.0) / (total + 1e-6)"),),
        "s03_step_functions": (("scale = max_norm / (norm + 1e-6)", "scale = max(max_norm, 1) / (norm + 1e-6)"),),
        "s05_vectorised": (("max_norm / (total + 1e-6)", "max(1.0, max_norm) / (total + 1e-6)"),),
        "s09_cache_dict": (("    norm_sq = ", "    max_norm = max(max_norm, 1.0)\n    norm_sq = "),),
        "s10_generator": (("    total = np.sqrt(", "    max_norm = max(1.0, max_norm)\n    total = np.sqrt("),),
    },
    "clip.norm_without_sqrt": {
        "s01_loops": (("total = float(np.sqrt(total))", "total = float(total)"),),
        "s02_einsum": (("norm = float(np.sqrt(sq))", "norm = float(sq)"),),
        "s04_class": (("total_norm = math.sqrt(math.fsum(squares))", "total_norm = math.fsum(squares)"),),
        "s07_functional": (("float(np.sqrt(reduce(lambda s, g: s + float(np.vdot(g, g)), grads.values(), 0.0)))",
                            "float(reduce(lambda s, g: s + float(np.vdot(g, g)), grads.values(), 0.0))"),),
        "s08_batch_rows": (("n = s ** 0.5", "n = s"),),
        "s09_cache_dict": (("norm = float(np.sqrt(norm_sq))", "norm = float(norm_sq)"),),
    },
    "clip.sum_of_norms": {
        "s01_loops": (("total += np.sum(grads[name] ** 2)", "total += np.sqrt(np.sum(grads[name] ** 2))"),
                      ("total = float(np.sqrt(total))", "total = float(total)")),
        "s03_step_functions": (("float(np.sqrt(sum(np.sum(a * a) for a in arrays)))",
                                "float(sum(np.sqrt(np.sum(a * a)) for a in arrays))"),),
        "s04_class": (("total_norm = math.sqrt(math.fsum(squares))",
                       "total_norm = math.fsum(math.sqrt(s) for s in squares)"),),
        "s06_columns": (("total = float(np.linalg.norm(norms))", "total = float(np.sum(norms))"),),
        "s09_cache_dict": (("    norm_sq = np.sum([np.sum(np.square(v)) for v in grads.values()])\n"
                            "    norm = float(np.sqrt(norm_sq))",
                            "    norm = float(np.sum([np.sqrt(np.sum(np.square(v))) for v in grads.values()]))"),),
        "s10_generator": (("np.sqrt(np.sum([np.linalg.norm(g) ** 2 for g in grads.values()]))",
                           "np.sum([np.linalg.norm(g) for g in grads.values()])"),),
    },
    "clip.no_epsilon": {
        "s01_loops": (("coef = max_norm / (total + 1e-6)", "coef = max_norm / total"),),
        "s02_einsum": (("max_norm / (norm + 1e-6)", "max_norm / norm"),),
        "s05_vectorised": (("max_norm / (total + 1e-6)", "max_norm / total"),),
        "s07_functional": (("k = max_norm / (total + 1e-6)", "k = max_norm / total"),),
        "s09_cache_dict": (("clip = max_norm / (norm + 1e-6)", "clip = max_norm / norm"),),
        "s10_generator": (("if total + 1e-6 > max_norm:", "if total > max_norm:"),
                          ("g * (max_norm / (total + 1e-6))", "g * (max_norm / total)")),
    },
    # ------------------------------------------------------------------ any part
    "float32_precision": {
        # A float32 recurrence with float64 outputs: the states are stored in float32 at every step.
        "s01_loops": (("h = np.zeros((T, B, H))", "h = np.zeros((T, B, H), dtype=np.float32)"),
                      ("    return y, h\n", "    return y, h.astype(np.float64)\n")),
        "s02_einsum": (("dpre = np.zeros_like(h)", "dpre = np.zeros_like(h, dtype=np.float32)"),),
        "s03_step_functions": (("    hs = []\n    h_t = h0\n",
                                "    x, h0, W_xh, W_hh, b_h = (a.astype(np.float32) "
                                "for a in (x, h0, W_xh, W_hh, b_h))\n"
                                "    hs = []\n    h_t = h0\n"),),
        "s05_vectorised": (("h = np.empty_like(proj)", "h = np.empty_like(proj, dtype=np.float32)"),),
        "s06_columns": (("norms = np.array([np.linalg.norm(grads[k].ravel()) for k in keys])",
                         "norms = np.array([np.linalg.norm(grads[k].ravel()) for k in keys], dtype=np.float32)"),),
        "s08_batch_rows": (("H = np.zeros((seq_len, batch, hidden_size))",
                            "H = np.zeros((seq_len, batch, hidden_size), dtype=np.float32)"),),
        "s09_cache_dict": (("new[key] = val * min(clip, 1.0)",
                            "new[key] = (val * min(clip, 1.0)).astype(np.float32)"),),
        "s10_generator": (("carried = np.matmul(delta, W_hh)", "carried = np.matmul(delta, W_hh).astype(np.float32)"),),
    },
    "mutates_inputs": {
        "s01_loops": (("            clipped[name] = grads[name] * coef",
                       "            grads[name] *= coef\n            clipped[name] = grads[name]"),),
        "s03_step_functions": (("    return {k: scale * v for k, v in grads.items()}, norm",
                                "    for v in grads.values():\n        v *= scale\n    return grads, norm"),),
        "s07_functional": (("{n: g * (k if k < 1 else 1.0) for n, g in grads.items()}",
                            "{n: np.multiply(g, min(k, 1.0), out=g) for n, g in grads.items()}"),),
        "s09_cache_dict": (("        new[key] = val * min(clip, 1.0)",
                            "        val *= min(clip, 1.0)\n        new[key] = val"),),
        "s10_generator": (("        return {name: g * (max_norm / (total + 1e-6)) for name, g in grads.items()}, total",
                           "        for g in grads.values():\n            g *= max_norm / (total + 1e-6)\n"
                           "        return grads, total"),),
    },
}


def solution(stem: str) -> str:
    return (SOLUTIONS_DIR / f"{stem}.py").read_text(encoding="utf-8")


def write(name: str, stem: str) -> str:
    """The solution `stem` with mistake `name` written into it."""
    return _apply(solution(stem), WRITTEN[name][stem], f"{name} in {stem}")


def _apply(text: str, patches: Patch, what: str) -> str:
    for patch, new in patches:
        old = patch.find(text) if isinstance(patch, Lines) else patch
        if text.count(old) != 1:
            raise ValueError(f"{what}: {old!r} occurs {text.count(old)} times")
        text = text.replace(old, new)
    return text


def every_written() -> list[tuple[str, str]]:
    """(mistake, solution stem) of every written mistake, in catalogue order then solution order."""
    return [(name, stem) for name, by_stem in WRITTEN.items() for stem in sorted(by_stem)]


# Mistakes the catalogue does not hold, written the same way: naming them would be a wrong name, so the
# measurement counts how many are named at all (docs/feedback.md).
UNCATALOGUED: dict[str, tuple[str, Patch]] = {
    "forward: x_1 at every step": (
        "s01_loops", (("x[t] @ W_xh.T", "x[0] @ W_xh.T"),)),
    "forward: tanh on the output too": (
        "s01_loops", (("y[t] = h[t] @ W_hy.T + b_y", "y[t] = np.tanh(h[t] @ W_hy.T + b_y)"),)),
    "forward: h0 replaced by zeros": (
        "s05_vectorised", (("cur = h0", "cur = np.zeros_like(h0)"),)),
    "forward: b_h added after tanh": (
        "s09_cache_dict", ((".dot(W_hh.T) + b_h", ".dot(W_hh.T)"),
                           ('cache["h"][i] = np.tanh(z)', 'cache["h"][i] = np.tanh(z) + b_h'))),
    "forward: the sequence read backwards": (
        "s05_vectorised", (("proj[t] + cur @ W_hh.T", "proj[T - 1 - t] + cur @ W_hh.T"),)),
    "forward: states scaled by 0.5": (
        "s10_generator", (("        yield h", "        yield 0.5 * h"),)),
    "backward: dW_xh from x_{t-1}": (
        "s01_loops", (("dW_xh += da.T @ x[t]", "dW_xh += da.T @ x[t - 1]"),)),
    "backward: db_h before the tanh derivative": (
        "s01_loops", (("db_h += da.sum(axis=0)", "db_h += dh.sum(axis=0)"),)),
    "backward: dx before the tanh derivative": (
        "s04_class", (('g["x"][i] = local @ self.W_xh', 'g["x"][i] = total @ self.W_xh'),)),
    "backward: gradients averaged over the batch": (
        "s04_class", (("    return net.grads(dy, x, h0, h)",
                       "    grads = net.grads(dy, x, h0, h)\n"
                       "    return {k: v / x.shape[1] for k, v in grads.items()}"),)),
    "backward: the next step's tanh derivative": (
        "s09_cache_dict", (("dtanh_from_output(states[i])", "dtanh_from_output(states[min(i + 1, length - 1)])"),)),
    "backward: two catalogued mistakes in the same outputs": (
        "s01_loops", (("da = dh * (1 - h[t] ** 2)", "da = dh"), ("dh = dy[t] @ W_hy + dh_next", "dh = dy[t] @ W_hy"))),
    "backward: dW_hy from h_{t-1}": (
        "s08_batch_rows", (('grads["W_hy"] += np.outer(dy[s, b], h[s, b])',
                            'grads["W_hy"] += np.outer(dy[s, b], h[s - 1, b])'),)),
    "clip: inverted comparison": (
        "s01_loops", (("if coef < 1:", "if coef > 1:"),)),
    "clip: L1 norm": (
        "s02_einsum", ((Lines("sq = sum(", "norm = float(np.sqrt(sq))"),
                        "    norm = float(sum(np.abs(g).sum() for g in grads.values()))\n"),)),
    "clip: max norm instead of L2": (
        "s05_vectorised", (("total = float(np.linalg.norm(flat))", "total = float(np.abs(flat).max())"),)),
    "clip: the last array left out of the norm": (
        "s09_cache_dict", (("for v in grads.values()])", "for v in list(grads.values())[:-1]])"),)),
    "clip: coefficient squared": (
        "s07_functional", (("g * (k if k < 1 else 1.0)", "g * (k * k if k < 1 else 1.0)"),)),
}


def write_uncatalogued(description: str) -> str:
    stem, patches = UNCATALOGUED[description]
    return _apply(solution(stem), patches, description)
