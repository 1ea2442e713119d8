"""The self-check every starter file ends with: `python exercise_XX.py` runs the public examples with NumPy
alone (no client installed), prints PASS/FAIL/TODO per case in Chinese and English. One text for every
template: `rnn-grader exercise new` writes it, and a test checks that each exercise's template carries it
unchanged, followed by the line that names its own public examples file (SELF_CHECK_MAIN).
"""

# ruff: noqa: E501
SELF_CHECK = '''# ---------------------------------------------------------------- 自查 / self-check (only NumPy needed)


def _decode(node, arrays):
    """public_examples.npz 的清单格式 / the manifest's value format: array, float, int, tuple, dict."""
    (kind, value), = node.items()
    if kind == "array":
        return arrays[value]
    if kind in ("float", "int"):
        return value
    if kind == "tuple":
        return tuple(_decode(v, arrays) for v in value)
    return {k: _decode(v, arrays) for k, v in value.items()}


def _mismatch(got, want, rtol, atol, path="output", names=()):
    """None if got matches want, else a short reason. / None if equal within tolerance, else why not."""
    if got is None:
        return f"{path}: returned None (forgot a return?)"
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return f"{path}: expected a dict with keys {sorted(want)}"
        for k in want:
            reason = _mismatch(got[k], want[k], rtol, atol, f"{path}[{k!r}]")
            if reason:
                return reason
        return None
    if isinstance(want, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"{path}: expected a tuple of {len(want)}"
        for i in range(len(want)):
            name = names[i] if i < len(names) else f"{path}[{i}]"  # e.g. "y", "h"
            reason = _mismatch(got[i], want[i], rtol, atol, name)
            if reason:
                return reason
        return None
    kind = type(got).__name__
    got = np.asarray(got)
    if got.dtype.kind not in "iuf":
        return f"{path}: expected numbers, got a {kind} of dtype {got.dtype}"
    if got.shape != np.shape(want):
        return f"{path}: shape {got.shape}, expected {np.shape(want)}"
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        worst = np.max(np.abs(got - want))
        hint = f"; dtype is {got.dtype}, use float64" if got.dtype != np.float64 else ""
        return f"{path}: values differ (largest difference {worst:.3g}){hint}"
    return None


def _same(a, b):
    """Exact equality of two argument trees: did the call modify its inputs?"""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(a[i], b[i]) for i in range(len(a)))
    return np.array_equal(a, b)


def _self_check(path):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    manifest = json.loads(str(arrays.pop("manifest")[()]))
    passed = 0
    for case in manifest["cases"]:
        part = manifest["parts"][case["part"]]
        original = tuple(_decode(a, arrays) for a in case["args"])
        args = copy.deepcopy(original)
        try:
            got = globals()[case["function"]](*args)
        except NotImplementedError:
            print(f"TODO  {case['name']}: {case['function']} 尚未实现 / not implemented yet")
            continue
        except Exception:
            print(f"ERROR {case['name']}: {case['function']} 抛出了异常 / raised an exception:")
            traceback.print_exc()
            continue
        want = _decode(case["expected"], arrays)
        reason = _mismatch(got, want, part["rtol"], part["atol"], names=part.get("outputs", ()))
        if reason is None and not _same(args, original):
            reason = "输入数组被修改了 / the function modified its input arrays"
        passed += reason is None
        status = "PASS" if reason is None else "FAIL"
        print(f"{status}  {case['name']}  ({case['description']['zh']} / {case['description']['en']})")
        if reason:
            print(f"      {reason}")
    print(f"{passed}/{len(manifest['cases'])} 个公开用例通过 / public cases passed")


'''

SELF_CHECK_MAIN = '''if __name__ == "__main__":
    _self_check(os.path.join(os.path.dirname(os.path.abspath(__file__)), "{examples}"))
'''
# The imports the self-check needs, at the top of a starter file.
SELF_CHECK_IMPORTS = '''import copy  # copy, json, os, traceback: only for the self-check at the bottom
import json
import os
import traceback
'''
