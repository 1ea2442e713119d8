"""The parent's parser of untrusted child output: strict, bounded, never unpickles."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from grader import wire


def _npy(descr: str, shape: tuple[int, ...], data: bytes, fortran: bool = False) -> bytes:
    header = repr({"descr": descr, "fortran_order": fortran, "shape": shape}).encode("latin1")
    header += b" " * (63 - len(header) % 64) + b"\n"
    return wire.NPY_MAGIC + b"\x01\x00" + struct.pack("<H", len(header)) + header + data


def test_roundtrip_of_every_value_kind() -> None:
    value = (np.arange(6.0).reshape(2, 3), {"a": np.ones(2, np.float32), "b": 3.5}, None, [np.int64(7)])
    blobs: list[bytes] = []
    node = wire.encode_value(value, blobs, max_blob_bytes=1 << 20)
    records = wire.decode_records(wire.encode_record({"tree": node}, blobs), max_elements=1 << 20)
    back = wire.decode_value(records[0][0]["tree"], records[0][1])
    assert isinstance(back, tuple) and len(back) == 4
    np.testing.assert_array_equal(back[0], value[0])
    assert back[1]["a"].dtype == np.float32 and back[1]["b"] == 3.5 and back[1]["b"].shape == ()
    assert back[2] is None and back[3][0] == 7


def test_forged_header_asking_for_terabytes_is_refused_before_allocation() -> None:
    forged = _npy("<f8", (2**20, 2**20), b"\x00" * 64)
    with pytest.raises(wire.WireError, match="too large"):
        wire.parse_npy(forged, max_elements=10**6)


def test_byte_count_must_match_shape_exactly() -> None:
    with pytest.raises(wire.WireError, match="byte count"):
        wire.parse_npy(_npy("<f8", (4,), b"\x00" * 24), max_elements=100)
    with pytest.raises(wire.WireError, match="byte count"):
        wire.parse_npy(_npy("<f8", (4,), b"\x00" * 40), max_elements=100)


@pytest.mark.parametrize("descr", ["|O", "<U4", "|V8", "<M8[s]", ">f8", "object"])
def test_non_numeric_or_big_endian_dtypes_are_refused(descr: str) -> None:
    with pytest.raises(wire.WireError, match="not allowed"):
        wire.parse_npy(_npy(descr, (1,), b"\x00" * 8), max_elements=100)


def test_fortran_order_bad_magic_and_odd_headers_are_refused() -> None:
    with pytest.raises(wire.WireError, match="fortran"):
        wire.parse_npy(_npy("<f8", (1,), b"\x00" * 8, fortran=True), max_elements=100)
    with pytest.raises(wire.WireError, match="not an .npy"):
        wire.parse_npy(b"\x80\x04pickle-bytes-here", max_elements=100)
    evil = wire.NPY_MAGIC + b"\x01\x00" + struct.pack("<H", 30) + b"__import__('os').system('id')"
    with pytest.raises(wire.WireError):
        wire.parse_npy(evil + b" " * 8, max_elements=100)
    with pytest.raises(wire.WireError, match="header|shape"):
        wire.parse_npy(_npy("<f8", (-1,), b""), max_elements=100)


def test_parsed_array_is_a_private_writable_copy() -> None:
    blob = wire.npy_bytes(np.arange(3.0))
    arr = wire.parse_npy(blob, max_elements=10)
    arr[0] = 42.0
    assert arr.flags.owndata or arr.base is not None
    assert wire.parse_npy(blob, max_elements=10)[0] == 0.0


def test_a_damaged_tail_keeps_the_complete_records_before_it() -> None:
    good = wire.encode_record({"call": 0}, [wire.npy_bytes(np.zeros(2))])
    stream = good + wire.frame(b'{"call": 1, "blobs": 1}') + b"\x00\x00\x10\x00" + b"xx"
    records = wire.decode_records(stream, max_elements=100)
    assert [h["call"] for h, _ in records] == [0]


def _streams() -> dict[str, bytes]:
    good = [wire.encode_record({"call": k}, [wire.npy_bytes(np.arange(k + 3.0)), wire.npy_bytes(np.ones((2, k)))])
            for k in range(4)]
    bad_npy = wire.encode_record({"call": 9}, [b"\x93NUMPY not really"])
    huge = wire.frame(json.dumps({"pad": "x" * (wire.MAX_HEADER_BYTES + 1), "blobs": 0}).encode())
    return {
        "complete": b"".join(good),
        "cut in a blob": b"".join(good)[:-5],
        "cut in a length": b"".join(good[:2]) + good[2][:3],
        "damaged in the middle": good[0] + bad_npy + good[1],
        "oversized header in the middle": good[0] + huge + good[1],
        "not an object": good[0] + wire.frame(b"[1]") + good[1],
        "too many blobs": good[0] + wire.frame(b'{"blobs": 9999}') + good[1],
    }


@pytest.mark.parametrize("name", list(_streams()))
@pytest.mark.parametrize("piece", [1, 3, 4, 7, 64, 1 << 20])
def test_records_fed_in_pieces_are_exactly_those_of_the_whole_stream(name: str, piece: int) -> None:
    data = _streams()[name]
    whole = wire.decode_records(data, max_elements=100)
    stream = wire.RecordStream(max_elements=100)
    arrived = []
    for start in range(0, len(data), piece):
        arrived += stream.feed(data[start:start + piece])
    assert arrived == stream.records
    assert [h for h, _ in arrived] == [h for h, _ in whole]
    for (_, got), (_, want) in zip(arrived, whole, strict=True):
        assert len(got) == len(want) and all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))
    expected_calls = {"complete": 4, "cut in a blob": 3, "cut in a length": 2}.get(name, 1)
    assert len(whole) == expected_calls


def test_oversized_or_malformed_headers_end_the_stream() -> None:
    huge = wire.frame(json.dumps({"pad": "x" * (wire.MAX_HEADER_BYTES + 1), "blobs": 0}).encode())
    assert wire.decode_records(huge, max_elements=10) == []
    assert wire.decode_records(wire.frame(b"[1, 2]"), max_elements=10) == []
    assert wire.decode_records(wire.frame(b'{"blobs": 9999}'), max_elements=10) == []
    deep = wire.frame(("[" * 100_000).encode())
    assert wire.decode_records(deep, max_elements=10) == []


@pytest.mark.parametrize(
    "node",
    [
        {"t": "a", "i": 5},
        {"t": "a", "i": True},
        {"t": "s", "i": 0},  # blob 0 is 1-d, not a scalar
        {"t": "d", "k": ["a"], "v": []},
        {"t": "d", "k": [1], "v": [{"t": "n"}]},
        {"t": "q", "c": "set", "v": []},
        {"t": "big", "shape": [-1], "dtype": "float64"},
        {"t": "zzz"},
        "not a dict",
        {"t": "q", "c": "tuple", "v": [{"t": "q", "c": "tuple", "v": [{"t": "q", "c": "tuple", "v": [
            {"t": "q", "c": "tuple", "v": [{"t": "q", "c": "tuple", "v": [{"t": "n"}]}]}]}]}]},
    ],
)
def test_off_protocol_trees_are_refused(node: object) -> None:
    with pytest.raises(wire.WireError):
        wire.decode_value(node, [np.zeros(2)])


def test_student_values_that_are_not_data_cross_only_as_type_names() -> None:
    class Sneaky(np.ndarray):  # type: ignore[type-arg]
        def __eq__(self, other: object) -> bool:  # type: ignore[override]
            return True

    blobs: list[bytes] = []
    sub = np.zeros(3).view(Sneaky)
    assert wire.encode_value(sub, blobs, 1 << 20)["t"] == "a"  # reduced to a plain ndarray's bytes
    assert wire.encode_value(np.array([object()]), blobs, 1 << 20) == {"t": "o", "c": "ndarray[object]"}
    assert wire.encode_value(object(), blobs, 1 << 20) == {"t": "o", "c": "object"}
    assert wire.encode_value(True, blobs, 1 << 20) == {"t": "o", "c": "bool"}
    big = wire.encode_value(np.zeros(1000), blobs, 100)
    assert big == {"t": "big", "shape": [1000], "dtype": "float64"}
