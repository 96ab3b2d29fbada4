"""SPDY/3.1 framing, the transport `kubectl exec` falls back to when the WebSocket
upgrade fails (kubectl >= 1.30 tries WebSocket first, then SPDY; before 1.30 and
with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false it speaks only SPDY).

Only what the remotecommand protocol needs, written from the SPDY/3 draft
(http://www.chromium.org/spdy/spdy-protocol/spdy-protocol-draft3):

    control frame:  1 | version(15)=3 | type(16) | flags(8) | length(24) | data
    data frame:     0 | stream-id(31)             | flags(8) | length(24) | data

Frame types used: SYN_STREAM (1, the client opens a stream: error, stdin, stdout,
stderr, resize, told apart by a `streamtype` header), SYN_REPLY (2, the server
accepts it), RST_STREAM (3), SETTINGS (4, ignored), PING (6, echoed), GOAWAY (7),
HEADERS (8, ignored), WINDOW_UPDATE (9, ignored: moby/spdystream, the Go library
on both ends of real clusters, does no flow control). Header blocks are
zlib-compressed with one stream per direction and per connection, primed with the
dictionary of draft section 2.6.10.1.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
RST_CANCEL = 5
GOAWAY_OK = 0
MAX_DATA = 64 * 1024  # bytes per DATA frame we send (the format allows 2^24 - 1)

# The header-compression dictionary, SPDY/3 draft section 2.6.10.1: these words,
# each preceded by its length as a 4-byte big-endian number, then the raw tail.
_DICTIONARY_WORDS = (
    *"options head post put delete trace accept accept-charset accept-encoding accept-language "
     "accept-ranges age allow authorization cache-control connection content-base content-encoding "
     "content-language content-length content-location content-md5 content-range content-type date "
     "etag expect expires from host if-match if-modified-since if-none-match if-range "
     "if-unmodified-since last-modified location max-forwards pragma proxy-authenticate "
     "proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade "
     "user-agent vary via warning www-authenticate method get status".split(),
    "200 OK",
    *"version HTTP/1.1 url public set-cookie keep-alive origin".split(),
)
_DICTIONARY_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)


def _dictionary() -> bytes:
    words = b"".join(struct.pack(">I", len(w)) + w.encode() for w in _DICTIONARY_WORDS)
    return words + _DICTIONARY_TAIL.encode()


DICTIONARY = _dictionary()


class ProtocolError(Exception):
    pass


@dataclass
class Frame:
    kind: str  # "data" or "control"
    stream_id: int = 0
    flags: int = 0
    data: bytes = b""
    type: int = 0  # control frames
    headers: dict[str, list[str]] = field(default_factory=dict)

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


def encode_headers(headers: dict[str, list[str]]) -> bytes:
    out = bytearray(struct.pack(">I", len(headers)))
    for name, values in headers.items():
        value = "\x00".join(values).encode()
        out += struct.pack(">I", len(name)) + name.lower().encode() + struct.pack(">I", len(value)) + value
    return bytes(out)


def decode_headers(block: bytes) -> dict[str, list[str]]:
    (count,), pos, out = struct.unpack_from(">I", block), 4, {}
    for _ in range(count):
        (n,) = struct.unpack_from(">I", block, pos)
        name = block[pos + 4:pos + 4 + n].decode("latin-1").lower()
        pos += 4 + n
        (n,) = struct.unpack_from(">I", block, pos)
        value = block[pos + 4:pos + 4 + n].decode("latin-1")
        pos += 4 + n
        out.setdefault(name, []).extend(value.split("\x00"))
    return out


class Codec:
    """One connection's framing state: an incremental reader and a writer."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, 15, zdict=DICTIONARY)

    # --- reading ---------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames = []
        while len(self._buffer) >= 8:
            word, length_word = struct.unpack_from(">II", self._buffer)
            length = length_word & 0xFFFFFF
            if len(self._buffer) < 8 + length:
                break
            payload = bytes(self._buffer[8:8 + length])
            del self._buffer[:8 + length]
            flags = length_word >> 24
            if word & 0x80000000:
                frames.append(self._control((word >> 16) & 0x7FFF, word & 0xFFFF, flags, payload))
            else:
                frames.append(Frame("data", stream_id=word & 0x7FFFFFFF, flags=flags, data=payload))
        return frames

    def _control(self, version: int, kind: int, flags: int, payload: bytes) -> Frame:
        if version != VERSION:
            raise ProtocolError(f"unsupported SPDY version {version}")
        frame = Frame("control", type=kind, flags=flags, data=payload)
        if kind in (SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE) and len(payload) >= 4:
            frame.stream_id = struct.unpack_from(">I", payload)[0] & 0x7FFFFFFF
        block = {SYN_STREAM: payload[10:], SYN_REPLY: payload[4:], HEADERS: payload[4:]}.get(kind)
        if block is not None:  # every header block goes through the one inflater, in order
            try:
                frame.headers = decode_headers(self._inflate.decompress(block))
            except (zlib.error, struct.error) as exc:
                raise ProtocolError(f"bad header block: {exc}") from None
        return frame

    # --- writing ---------------------------------------------------------------------

    @staticmethod
    def control(kind: int, payload: bytes, flags: int = 0) -> bytes:
        return struct.pack(">II", 0x80000000 | (VERSION << 16) | kind, (flags << 24) | len(payload)) + payload

    def syn_reply(self, stream_id: int, headers: dict[str, list[str]] | None = None, *, fin: bool = False) -> bytes:
        block = self._deflate.compress(encode_headers(headers or {})) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        return self.control(SYN_REPLY, struct.pack(">I", stream_id) + block, FLAG_FIN if fin else 0)

    @staticmethod
    def data(stream_id: int, data: bytes, *, fin: bool = False) -> bytes:
        return struct.pack(">II", stream_id & 0x7FFFFFFF, ((FLAG_FIN if fin else 0) << 24) | len(data)) + data

    @staticmethod
    def rst_stream(stream_id: int, status: int = RST_CANCEL) -> bytes:
        return Codec.control(RST_STREAM, struct.pack(">II", stream_id, status))

    @staticmethod
    def goaway(last_stream_id: int, status: int = GOAWAY_OK) -> bytes:
        return Codec.control(GOAWAY, struct.pack(">II", last_stream_id, status))
