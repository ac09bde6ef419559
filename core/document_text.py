"""The canonical JSON text of a saved document, written again and again with little re-encoding.

Canonical text is `json.dumps(value, sort_keys=True, allow_nan=False)`: what every store writes, and
two documents are the same exactly when their canonical texts are (types included: 1 and 1.0 differ).

The trading system saves its document after every change; the document mostly grows, and most of
its parts are as they were at the last save. Two things keep a save from encoding it all again:

- records that never change once made (closed trades, the VIX regime history, state-machine
  transitions) are ReadOnlyDocuments, JSON objects of scalars that refuse every change: each one's
  text is encoded once, when it is made, and kept on it;
- every other list or dict in the document (a part) is compared with the same part at the last
  save by its `marshal` bytes, an exact copy of its value and types that costs a tenth of its JSON:
  the same bytes are the same value, whose text is reused. A part `marshal` refuses (a type other
  than the built-in ones) is encoded every time.

DocumentText writes a document whose lists of read-only records are named in a layout (LIST where
one is, nested dicts down to it, ANY for every key of a dict), with exactly the characters
`canonical` would write for the whole document.
"""
from __future__ import annotations

import json
import marshal
from collections.abc import Mapping
from operator import attrgetter
from typing import Any, NoReturn

_ENCODER = json.JSONEncoder(sort_keys=True, allow_nan=False)
_SCALARS = (str, int, float, bool, type(None))
_TEXT = attrgetter("text")
_key_text = json.encoder.encode_basestring_ascii  # a text key as json.dumps writes it (ensure_ascii)
LIST = "list of read-only documents"  # layout leaf: a list whose items are ReadOnlyDocuments
ANY = "*"  # layout key: the layout of every key of that dict
Layout = Mapping[str, Any]


def canonical(value: Any) -> str:
    """The canonical JSON text of `value` (ValueError on NaN or infinity, TypeError on non-JSON)."""
    return _ENCODER.encode(value)


class ReadOnlyDocument(dict[str, Any]):
    """A JSON object of scalar values (text, numbers, booleans, None) that refuses every change
    after it is made; its canonical text is encoded once (`text`).

    Raises:
        TypeError: a key that is not text or a value that is not a scalar (at creation); any change.
    """

    def __init__(self, items: Mapping[str, Any]) -> None:
        super().__init__(items)
        for key, value in self.items():
            if not isinstance(key, str) or not isinstance(value, _SCALARS):
                raise TypeError(f"a read-only document holds scalars under text keys, not {key!r}: {value!r}")
        self.text = canonical(self)  # encoded once: the document never changes

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a read-only document cannot change")

    def __setitem__(self, key: str, value: Any) -> NoReturn:
        self._refuse()

    def __delitem__(self, key: str) -> NoReturn:
        self._refuse()

    def __ior__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        self._refuse()

    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[ReadOnlyDocument], tuple[dict[str, Any]]]:
        return ReadOnlyDocument, (dict(self),)  # copies and pickles build it whole, never item by item


class DocumentText:
    """The canonical text of successive documents of one layout; each save's parts that are
    unchanged since the previous call reuse their text.

    Raises (from `text`):
        TypeError: a list named LIST holds an item that is not a ReadOnlyDocument; a value that is
            not JSON.
        ValueError: NaN or infinity.
    """

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._parts: dict[tuple[str, ...], tuple[bytes, str]] = {}  # path -> (marshal bytes, text) last time

    def text(self, document: Mapping[str, Any]) -> str:
        pieces: list[str] = []
        parts: dict[tuple[str, ...], tuple[bytes, str]] = {}
        self._write(document, self.layout, (), pieces, parts)
        self._parts = parts  # only the parts of this document: those of removed keys are dropped
        return "".join(pieces)  # the pieces are copied once, here

    def _write(self, value: Any, layout: Layout | str | None, path: tuple[str, ...], pieces: list[str],
               parts: dict[tuple[str, ...], tuple[bytes, str]]) -> None:
        if layout is None:
            pieces.append(self._part(value, path, parts) if isinstance(value, (dict, list)) else canonical(value))
        elif layout == LIST:
            try:
                pieces += ("[", ", ".join(map(_TEXT, value)), "]")
            except AttributeError:
                wrong = next(item for item in value if not isinstance(item, ReadOnlyDocument))
                raise TypeError(f"a list of read-only documents holds a {type(wrong).__name__}: {wrong!r}") from None
        elif isinstance(layout, Mapping):
            every = layout.get(ANY)
            separator = "{"
            for key in sorted(value):
                pieces += (separator, _key_text(key), ": ")
                self._write(value[key], layout.get(key, every), (*path, key), pieces, parts)
                separator = ", "
            pieces.append("}" if value else "{}")
        else:
            raise TypeError(f"unknown document layout {layout!r}")

    def _part(self, value: dict[str, Any] | list[Any], path: tuple[str, ...],
              parts: dict[tuple[str, ...], tuple[bytes, str]]) -> str:
        try:
            snapshot = marshal.dumps(value)
        except ValueError:  # a type marshal does not write: encoded every time
            return canonical(value)
        last = self._parts.get(path)
        text = last[1] if last is not None and last[0] == snapshot else canonical(value)
        parts[path] = (snapshot, text)
        return text
