"""A photo taken in: bounded in bytes and pixels, checked to be the JPEG or PNG it says it is
by decoding it (Pillow), turned upright by its EXIF orientation, then re-encoded from its
pixels alone, so that nothing of its metadata (GPS position, camera serial, owner, time)
is stored or shown again."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from csoapi.core.errors import DomainError, Unprocessable

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}


class TooLarge(DomainError):
    status, code, title = 413, "photo_too_large", "Payload too large"


class UnsupportedMedia(DomainError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


@dataclass(frozen=True)
class Clean:
    content_type: str
    data: bytes
    width: int
    height: int


def precheck(raw: bytes, content_type: str, *, max_bytes: int) -> None:
    """What is wrong with the upload itself, before the report it names is looked at."""
    if content_type not in FORMATS:
        raise UnsupportedMedia("Photos are image/jpeg or image/png")
    if not raw:
        raise Unprocessable("The photo is empty", code="photo_empty")
    if len(raw) > max_bytes:
        raise TooLarge(f"A photo is at most {max_bytes} bytes")


def clean(raw: bytes, content_type: str, *, max_bytes: int, max_pixels: int) -> Clean:
    precheck(raw, content_type, max_bytes=max_bytes)
    image = _open(raw, content_type, max_pixels)
    upright = ImageOps.exif_transpose(image)
    out = io.BytesIO()
    if FORMATS[content_type] == "JPEG":
        upright.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
    else:
        keep = (
            upright if upright.mode in ("RGB", "RGBA", "L", "LA", "P") else upright.convert("RGBA")
        )
        keep.save(out, format="PNG", optimize=True)
    return Clean(content_type, out.getvalue(), upright.width, upright.height)


def _open(raw: bytes, content_type: str, max_pixels: int) -> Image.Image:
    try:
        probe = Image.open(io.BytesIO(raw))
        if probe.format != FORMATS[content_type]:
            raise Unprocessable(f"The photo is not {content_type}", code="photo_type_mismatch")
        if probe.width * probe.height > max_pixels:
            raise TooLarge(f"A photo has at most {max_pixels} pixels")
        probe.verify()  # the whole file's structure; the object is spent after this
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            image.load()
        return image
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
        ValueError,
    ) as exc:
        raise Unprocessable(
            "The photo cannot be read as an image", code="photo_unreadable"
        ) from exc
