"""The canonical JSON text of a saved document, and read-only documents whose text is kept.

Canonical text is `json.dumps(value, sort_keys=True, allow_nan=False)`: what every store writes, and
two documents are the same exactly when their canonical texts are (types included: 1 and 1.0 differ).

The trading system saves its document after every change, and the document mostly grows with
records that never change once made: closed trades, the VIX regime history, state-machine
transitions. Each is a ReadOnlyDocument (a JSON object of scalars that refuses every change), so
its text is encoded once, when it is made, and kept on it. `document_text` writes a document whose
lists of such records are named in a layout (LIST where one is, nested dicts down to it, ANY for
every key of a dict) with their kept texts, and every other value encoded anew, with exactly the
characters `canonical` would write for the whole document.
"""
from __future__ import annotations

import json
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


def document_text(value: Any, layout: Layout | str | None) -> str:
    """The canonical text of `value`, with the kept texts of the lists of read-only documents that
    `layout` names.

    Raises:
        TypeError: a list named LIST holds an item that is not a ReadOnlyDocument.
    """
    pieces: list[str] = []
    _write(value, layout, pieces)
    return "".join(pieces)  # the pieces are copied once, here


def _write(value: Any, layout: Layout | str | None, pieces: list[str]) -> None:
    if layout is None:
        pieces.append(canonical(value))
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
            _write(value[key], layout.get(key, every), pieces)
            separator = ", "
        pieces.append("}" if value else "{}")
    else:
        raise TypeError(f"unknown document layout {layout!r}")
