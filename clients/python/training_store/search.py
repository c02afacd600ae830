"""Semantic search over conversations (contract section 10): ``GET /api/v1/search/conversations``.

Only on a store with ``training-store.search.enabled=true``; otherwise the store answers 404 and
this raises ``ExportRequestError`` with the store's reason (how to enable it).
"""
import urllib.parse
from typing import Any, Dict, Iterable, List, Optional, Union

from .export import _date_param, _text
from .versions import _json

SEARCH = "/api/v1/search/conversations"


def search_conversations(settings, q: Optional[str] = None, like: Optional[str] = None, k: Optional[int] = None,
                         agent_id: Union[str, Iterable[str], None] = None, task_id: Union[str, Iterable[str], None] = None,
                         start_date=None, end_date=None, redact: Optional[str] = None) -> List[Dict[str, Any]]:
    """Conversations ranked by meaning, best first: a list of ``{"conversation_id", "score", "message_id",
    "content"}`` (the conversation's best-matching message). Exactly one of ``q`` (text) and ``like`` (a
    conversation id: the conversations most similar to it, itself left out). ``k`` 1..1000 (the store's
    default 10); ``agent_id``/``task_id`` a value or several (any of); ``start_date``/``end_date`` on the
    message's ``occurred_at`` ([start, end)); ``redact`` as for exports."""
    if (q is None) == (like is None):
        raise ValueError("Give exactly one of q= (text to search for) and like= (a conversation_id).")
    if q is not None and not isinstance(q, str):
        raise ValueError(f"q must be text, not {type(q).__name__}.")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 1000):
        raise ValueError(f"k must be a whole number from 1 to 1000, not {k!r}.")
    query = []
    for name, value in (("q", q), ("like", like), ("k", k), ("redact", redact)):
        if value is not None:
            query.append((name, _text(name, value)))
    for name, value in (("agent_id", agent_id), ("task_id", task_id)):
        for one in ([value] if isinstance(value, str) else list(value or [])):
            query.append((name, _text(name, one)))
    if start_date is not None:
        query.append(("from", _date_param("start_date", start_date)))
    if end_date is not None:
        query.append(("to", _date_param("end_date", end_date)))
    return _json(settings, "GET", SEARCH + "?" + urllib.parse.urlencode(query))["results"]


__all__: List[str] = ["search_conversations"]
