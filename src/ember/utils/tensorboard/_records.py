"""TensorBoard event files written by hand: the protocol-buffer messages SummaryWriter needs,
framed as TFRecords. No dependency: the ``tensorboard`` package is only needed to view them.

Wire format (protobuf): each field is a key ``field_number << 3 | wire_type`` (a varint)
then its value: varint (0), 8 bytes little-endian (1), length-prefixed bytes (2) or 4 bytes
(5). Proto3 leaves out scalars equal to their default (0, "", empty), and packs repeated
numbers into one length-prefixed field; fields go in field-number order. Written this way
the bytes are the ones the protobuf library produces for the same message.

TFRecord framing: ``uint64 length, uint32 masked_crc32c(length), data, uint32
masked_crc32c(data)``, little-endian; CRC-32C is the Castagnoli polynomial (not zlib's).
"""

from __future__ import annotations

import struct

# ---- CRC-32C ------------------------------------------------------------------------------
_POLY = 0x82F63B78  # Castagnoli, reflected


def _table() -> list:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked(data: bytes) -> bytes:
    crc = crc32c(data)
    return struct.pack("<I", (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


def record(data: bytes) -> bytes:
    """One TFRecord holding ``data``."""
    header = struct.pack("<Q", len(data))
    return header + _masked(header) + data + _masked(data)


# ---- protobuf fields ----------------------------------------------------------------------
def _varint(n: int) -> bytes:
    n &= 0xFFFFFFFFFFFFFFFF  # negative int64s take ten bytes, as two's complement
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def varint(field: int, n: int) -> bytes:
    return _key(field, 0) + _varint(n) if n else b""


def double(field: int, x: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", x) if x != 0 or str(x) == "-0.0" else b""


def float32(field: int, x: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", x) if x != 0 or str(x) == "-0.0" else b""


def message(field: int, body: bytes, always: bool = False) -> bytes:
    """A length-delimited field: a string, bytes or an embedded message (sub-messages that
    are set are written even when empty: ``always``)."""
    if not body and not always:
        return b""
    return _key(field, 2) + _varint(len(body)) + body


def packed_doubles(field: int, values) -> bytes:
    values = list(values)
    return message(field, struct.pack(f"<{len(values)}d", *values)) if values else b""


def packed_floats(field: int, values) -> bytes:
    values = list(values)
    return message(field, struct.pack(f"<{len(values)}f", *values)) if values else b""


# ---- the messages -------------------------------------------------------------------------
DT_FLOAT, DT_DOUBLE, DT_STRING = 1, 2, 7


def event(wall_time: float, step: int = 0, *, file_version: str = "", summary: bytes = b"",
          writer: str = "") -> bytes:
    """tensorboard's Event: wall_time 1, step 2, file_version 3, summary 5,
    source_metadata 10 (SourceMetadata: writer 1)."""
    out = double(1, wall_time) + varint(2, step) + message(3, file_version.encode())
    if summary:
        out += message(5, summary, always=True)
    if writer:
        out += message(10, message(1, writer.encode()), always=True)
    return out


def summary_value(tag: str, *, simple_value: float | None = None, histo: bytes | None = None,
                  tensor: bytes | None = None, metadata: bytes | None = None) -> bytes:
    """Summary(value=[Value]): Value has tag 1, simple_value 2, histo 5, tensor 8,
    metadata 9."""
    body = message(1, tag.encode())
    if simple_value is not None:
        body += _key(2, 5) + struct.pack("<f", simple_value)  # set: written even if 0
    if histo is not None:
        body += message(5, histo, always=True)
    if tensor is not None:
        body += message(8, tensor, always=True)
    if metadata is not None:
        body += message(9, metadata, always=True)
    return message(1, body, always=True)


def histogram_proto(vmin, vmax, num, total, sum_squares, limits, counts) -> bytes:
    """HistogramProto: min 1, max 2, num 3, sum 4, sum_squares 5, bucket_limit 6 and bucket 7
    (packed doubles)."""
    return (double(1, vmin) + double(2, vmax) + double(3, num) + double(4, total)
            + double(5, sum_squares) + packed_doubles(6, limits) + packed_doubles(7, counts))


def tensor_proto(dtype: int, dims=None, *, strings=(), floats=(), doubles=()) -> bytes:
    """TensorProto: dtype 1, tensor_shape 2 (dim 2: size 1; left out when ``dims`` is None),
    float_val 5, double_val 6, string_val 8."""
    out = varint(1, dtype)
    if dims is not None:
        shape = b"".join(message(2, varint(1, d), always=True) for d in dims)
        out += message(2, shape, always=True)
    out += packed_floats(5, floats) + packed_doubles(6, doubles)
    return out + b"".join(message(8, s, always=True) for s in strings)


def plugin_metadata(plugin_name: str) -> bytes:
    """SummaryMetadata(plugin_data=PluginData(plugin_name=...)): fields 1 and 1."""
    return message(1, message(1, plugin_name.encode()), always=True)
