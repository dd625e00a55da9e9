"""XSPF (XML Shareable Playlist Format, version 0 and 1), read leniently and checked strictly.

The XML is parsed with defusedxml with DTDs refused, so no entity expansion ("billion
laughs") and no external entity or DTD is ever fetched. A file that is not XML, or whose root
is not ``<playlist>``, raises ``PlaylistError``. Everything else the specification forbids
(duplicate elements, markup in text fields, bad dates or numbers, missing attributes, text
between elements, foreign elements outside ``<extension>``) is listed as a problem starting
with "Not valid XSPF:", and the tracks are still read, because a therapist with a slightly
odd playlist from another player wants the music, not a lecture.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from kapcompanion.audio.importing import TrackBuilder
from kapcompanion.audio.locations import resolve_entry, shown
from kapcompanion.audio.models import PlaylistError

XSPF_NS = "http://xspf.org/ns/0/"
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
INVALID = "Not valid XSPF: "

_PLAYLIST_ONCE = frozenset(
    {"title", "creator", "annotation", "info", "location", "identifier", "image", "date",
     "license", "attribution", "trackList"}
)  # fmt: skip
_PLAYLIST_MANY = frozenset({"link", "meta", "extension"})
_TRACK_ONCE = frozenset(
    {"title", "creator", "annotation", "info", "image", "album", "trackNum", "duration"}
)
_TRACK_MANY = frozenset({"location", "identifier", "link", "meta", "extension"})
_URI_TEXT = frozenset({"info", "location", "identifier", "image", "license", "link"})
_ATTRS = {"playlist": {"version"}, "link": {"rel"}, "meta": {"rel"}, "extension": {"application"}}
_REQUIRED = {"link": "rel", "meta": "rel", "extension": "application"}
_NON_NEG_INT = re.compile(r"^\+?[0-9]+$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))?$"
)
_BAD_URI = re.compile(r"[\s\x00-\x1f\x7f]")


def _split(tag: object) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _text(elem: Element) -> str:
    return " ".join("".join(elem.itertext()).split())


def valid_datetime(text: str) -> bool:
    """XML Schema ``dateTime`` (the XSPF 1 date type), surrounding whitespace allowed."""
    m = _DATETIME.match(text.strip())
    if m is None:
        return False
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    if m.group(9) is not None and (int(m.group(9)) > 14 or int(m.group(10)) > 59):
        return False
    if hour == 24 and minute == 0 and second == 0 and not m.group(7):
        hour = 0  # 24:00:00 is the end of the day, allowed by the schema
    try:
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return True


class _Reader:
    def __init__(self, builder: TrackBuilder, ns: str) -> None:
        self.builder = builder
        self.ns = ns
        self.title = ""

    def invalid(self, message: str) -> None:
        self.builder.problem(INVALID + message)

    def check_uri(self, value: str, what: str) -> None:
        if _BAD_URI.search(value.strip()):
            self.invalid(f"{what} is not a valid URI: {shown(value)!r}.")

    def check_attrs(self, elem: Element, local: str, where: str) -> None:
        allowed = _ATTRS.get(local, set())
        for key, value in elem.attrib.items():
            if key.startswith(_XML_NS):
                continue
            if key not in allowed:
                self.invalid(f"attribute {shown(key)} is not allowed on <{local}> in {where}.")
            elif key in ("rel", "application"):
                self.check_uri(value, f"attribute {key} of <{local}> in {where}")
        required = _REQUIRED.get(local)
        if required and required not in elem.attrib:
            self.invalid(f"<{local}> in {where} lacks its required {required} attribute.")

    def check_no_text(self, elem: Element, local: str, where: str) -> None:
        if (elem.text or "").strip() or any((c.tail or "").strip() for c in elem):
            self.invalid(f"<{local}> in {where} contains text; only elements belong there.")

    def leaf(self, elem: Element, local: str, where: str) -> str:
        if len(elem):
            self.invalid(f"<{local}> in {where} contains markup; only plain text is allowed.")
        text = _text(elem)
        if local in _URI_TEXT:
            self.check_uri("".join(elem.itertext()), f"<{local}> in {where}")
        return text

    def children(
        self,
        parent: Element,
        where: str,
        once: frozenset[str],
        many: frozenset[str],
        handle: Callable[[Element, str], None],
    ) -> None:
        counts: Counter[str] = Counter()
        for child in parent:
            ns, local = _split(child.tag)
            if not local:
                continue  # comments and processing instructions
            if ns != self.ns:
                self.invalid(
                    f"element <{shown(local)}> from another namespace is not allowed in {where} "
                    "(it belongs inside <extension>)."
                )
                continue
            if local not in once and local not in many:
                self.invalid(f"<{shown(local)}> is not allowed in {where}.")
                continue
            counts[local] += 1
            if local in once and counts[local] > 1:
                self.invalid(f"<{local}> appears more than once in {where}; the first is used.")
                continue
            self.check_attrs(child, local, where)
            handle(child, local)

    # -- playlist level ---------------------------------------------------------------
    def playlist(self, root: Element) -> None:
        version = root.get("version")
        if version is None:
            self.invalid("<playlist> lacks its version attribute.")
        elif version.strip() not in ("0", "1"):
            self.invalid(f"<playlist> version {shown(version)!r} is not 0 or 1.")
        self.check_attrs(root, "playlist", "the document")
        self.check_no_text(root, "playlist", "the document")
        track_lists: list[Element] = []

        def handle(child: Element, local: str) -> None:
            if local == "extension":
                return
            if local == "trackList":
                track_lists.append(child)
            elif local == "attribution":
                self.attribution(child)
            else:
                text = self.leaf(child, local, "<playlist>")
                if local == "title":
                    self.title = text
                elif local == "date" and not valid_datetime(text):
                    self.invalid(f"<date> in <playlist> is not a valid date and time: {text!r}.")

        self.children(root, "<playlist>", _PLAYLIST_ONCE, _PLAYLIST_MANY, handle)
        if not track_lists:
            self.invalid("<playlist> has no <trackList>; no tracks were read.")
            return
        self.track_list(track_lists[0])

    def attribution(self, elem: Element) -> None:
        self.check_no_text(elem, "attribution", "<playlist>")

        def handle(child: Element, local: str) -> None:
            self.leaf(child, local, "<attribution>")

        empty: frozenset[str] = frozenset()
        self.children(elem, "<attribution>", empty, frozenset({"location", "identifier"}), handle)

    def track_list(self, elem: Element) -> None:
        self.check_no_text(elem, "trackList", "<playlist>")

        def handle(child: Element, _local: str) -> None:
            if not self.builder.full:
                self.track(child, len(self.builder.tracks) + 1)
            else:
                self.builder.add("", label="", is_uri=True)  # records the truncation once

        self.children(elem, "<trackList>", frozenset(), frozenset({"track"}), handle)

    # -- track level ------------------------------------------------------------------
    def track(self, elem: Element, number: int) -> None:
        where = f"track {number}"
        self.check_no_text(elem, "track", f"<trackList> (track {number})")
        locations: list[str] = []
        fields: dict[str, str] = {}

        def handle(child: Element, local: str) -> None:
            if local == "extension":
                return
            text = self.leaf(child, local, where)
            if local == "location":
                locations.append(text)
            elif local in ("duration", "trackNum"):
                if not _NON_NEG_INT.match(text):
                    self.invalid(f"<{local}> in {where} is not a whole number: {shown(text)!r}.")
                else:
                    fields[local] = text
            else:
                fields[local] = text

        self.children(elem, where, _TRACK_ONCE, _TRACK_MANY, handle)
        duration = None
        digits = fields.get("duration", "").lstrip("+")
        if digits and len(digits) <= 12:  # milliseconds; more digits is not a real length
            duration = int(digits) / 1000.0
        self.builder.add(
            self._choose(locations, number),
            label=f"Track {number}",
            is_uri=True,
            title=fields.get("title", ""),
            artist=fields.get("creator", ""),
            duration_s=duration,
        )

    def _choose(self, locations: list[str], number: int) -> str:
        """A track may list several locations; play the first one that is usable."""
        if len(locations) <= 1:
            return locations[0] if locations else ""
        for candidate in locations:
            res = resolve_entry(
                candidate, self.builder.policy, label=f"Track {number}", is_uri=True
            )
            if res.problem is None:
                return candidate
        return locations[0]


def parse_xspf(data: bytes, builder: TrackBuilder, *, name: str) -> str:
    """Fill ``builder`` from XSPF bytes; returns the playlist title."""
    try:
        root = safe_et.fromstring(data, forbid_dtd=True)
    except ParseError as exc:
        raise PlaylistError(f"{name} is not well-formed XML ({exc}).") from exc
    except DefusedXmlException as exc:
        raise PlaylistError(
            f"{name} uses XML features refused for safety (a DTD or entities)."
        ) from exc
    except (ValueError, LookupError, UnicodeError) as exc:
        raise PlaylistError(f"{name} cannot be read as XML ({exc}).") from exc
    ns, local = _split(root.tag)
    if local != "playlist":
        raise PlaylistError(
            f"{name} is not an XSPF playlist: its root element is <{shown(local)}>, not <playlist>."
        )
    reader = _Reader(builder, ns)
    if ns != XSPF_NS:
        found = f"namespace {shown(ns)!r}" if ns else "no namespace"
        reader.invalid(f"<playlist> has {found}; XSPF uses {XSPF_NS!r}. The file was read anyway.")
    reader.playlist(root)
    return reader.title
