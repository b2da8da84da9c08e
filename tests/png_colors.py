#!/usr/bin/env python3
"""png_colors.py: how colourful is a PNG? For tests/test_report.c, which
checks that a headless browser's screenshot of voc report is not blank.

Decodes the image with the standard library only (zlib; 8-bit greyscale,
RGB, grey+alpha or RGBA, not interlaced, which is what Chromium writes) and
prints one line:

    colors=N nonwhite=F width=W height=H

N is the number of distinct pixel values, F the fraction of pixels that
are not pure white. Exit status 0, or 1 when the file is not a PNG this
script can decode (with the reason on stderr).
"""
import struct
import sys
import zlib

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> bytes per pixel at depth 8


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(data):
    """Return (width, height, bytes per pixel, rows of raw pixel bytes)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None or not idat:
        raise ValueError("no IHDR or IDAT chunk")
    width, height, depth, ctype, _, _, interlace = header
    if depth != 8 or ctype not in CHANNELS or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {ctype}, "
                         f"interlace {interlace}")
    bpp = CHANNELS[ctype]
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif ftype == 4:
                line[i] = (line[i] + _paeth(a, b, c)) & 0xFF
            elif ftype != 0:
                raise ValueError(f"bad filter type {ftype} on row {y}")
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def main():
    if len(sys.argv) != 2:
        print("usage: png_colors.py FILE.png", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], "rb") as f:
            width, height, bpp, rows = decode(f.read())
    except (OSError, ValueError, zlib.error) as e:
        print(f"png_colors.py: {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    white = b"\xff" * bpp
    colors, nonwhite = set(), 0
    for line in rows:
        for x in range(0, len(line), bpp):
            px = line[x:x + bpp]
            colors.add(px)
            nonwhite += px != white
    total = max(width * height, 1)
    print(f"colors={len(colors)} nonwhite={nonwhite / total:.4f} width={width} height={height}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
