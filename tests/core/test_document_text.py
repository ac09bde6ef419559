"""A document's text built from kept pieces is exactly json.dumps(sort_keys=True, allow_nan=False) of
the whole, save after save whatever changed (types included), and the records kept are read-only
documents that refuse every change."""
from __future__ import annotations

import copy
import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.document_text import ANY, LIST, DocumentText, ReadOnlyDocument, canonical


def reference(value: object) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)


def test_the_text_of_a_document_with_kept_pieces_is_the_text_of_the_whole() -> None:
    rows = [ReadOnlyDocument({"pnl": 1.5, "quantity": 1, "regime": "NORMAL", "note": "caf\u00e9 \"x\"", "exit": None}),
            ReadOnlyDocument({"pnl": -2.0, "quantity": 2, "regime": "LOW", "note": "", "exit": True})]
    document = {"schema": 1, "book": {"trades": rows, "counter": 3, "positions": [{"b": [1, 2.0], "a": {}}]},
                "machines": {"z": {"history": rows[:1], "state": "IDLE"}, "a": {"history": [], "state": "OPEN"}},
                "empty": {}, "value": 1.0, "unicode \u2013 key": "\u20ac"}
    layout = {"book": {"trades": LIST}, "machines": {ANY: {"history": LIST}}}
    assert DocumentText(layout).text(document) == reference(document)
    assert canonical(document) == reference(document)


_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=8))
_RECORDS = st.lists(st.dictionaries(st.text(max_size=5), _SCALAR, max_size=4).map(ReadOnlyDocument), max_size=4)


_DOCUMENTS = st.dictionaries(st.sampled_from(["a", "b", "records", "machines"]),
                             st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=3)
                                          | st.dictionaries(st.sampled_from(["x", "y"]), inner, max_size=2),
                                          max_leaves=6), max_size=4)


@given(st.lists(st.tuples(_DOCUMENTS, st.dictionaries(st.text(min_size=1, max_size=5), _RECORDS, max_size=3),
                          _RECORDS), min_size=1, max_size=6))
def test_documents_written_one_after_another_have_the_text_json_gives_them(saves: list) -> None:
    """One writer, many saves: every part changed or not (nested, in place, in type only) gets
    the text json.dumps gives it."""
    writer = DocumentText({"records": LIST, "machines": {ANY: {"history": LIST}}})
    for other, machines, records in saves:
        document = {**other, "records": records, "machines": {key: {"history": history, "n": 1} for key, history
                                                              in machines.items()}}
        assert writer.text(document) == reference(document)


def test_a_part_changed_in_place_or_in_type_only_gets_its_new_text() -> None:
    writer = DocumentText({})
    memory = {"legs": [1, 2], "count": 1}
    document = {"memory": memory, "fills": {"O1": ["a"]}}
    texts = [writer.text(document)]
    for change in (lambda: memory["legs"].append(3), lambda: memory.__setitem__("count", 1.0),
                   lambda: memory.__setitem__("count", True), lambda: document["fills"]["O1"].append("b"),
                   lambda: memory.__setitem__("count", -0.0), lambda: memory.__setitem__("count", 0.0)):
        change()
        texts.append(writer.text(document))
        assert texts[-1] == reference(document) and texts[-1] != texts[-2]
    assert writer.text(document) == texts[-1]


def test_a_read_only_document_refuses_every_change_and_keeps_its_text() -> None:
    row = ReadOnlyDocument({"pnl": 1.0, "strategy": "lt112"})
    changes = [lambda: row.__setitem__("pnl", 2.0), lambda: row.__delitem__("pnl"), lambda: row.update(pnl=2.0),
               lambda: row.pop("pnl"), row.popitem, row.clear, lambda: row.setdefault("x", 1),
               lambda: row.__ior__({"pnl": 2.0})]
    for change in changes:
        with pytest.raises(TypeError, match="a read-only document cannot change"):
            change()
    assert row == {"pnl": 1.0, "strategy": "lt112"} and row.text == reference(row)
    for twin in (copy.copy(row), copy.deepcopy(row), pickle.loads(pickle.dumps(row))):
        assert type(twin) is ReadOnlyDocument and twin == row and twin.text == row.text


def test_a_read_only_document_holds_only_scalars_and_a_kept_list_only_read_only_documents() -> None:
    with pytest.raises(TypeError, match="scalars under text keys"):
        ReadOnlyDocument({"legs": [1, 2]})
    with pytest.raises(TypeError, match="scalars under text keys"):
        ReadOnlyDocument({1: "a"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="a list of read-only documents holds a dict"):
        DocumentText({"trades": LIST}).text({"trades": [ReadOnlyDocument({"a": 1}), {"a": 1}]})
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        ReadOnlyDocument({"pnl": float("nan")})
