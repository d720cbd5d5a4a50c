"""The request path's parts on their own: build_request, answer decoding, Page and PageSet."""

from __future__ import annotations

import httpx
import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.paging import Page, PageSet
from graph_magic.connector.prepare import PreparedRequest
from graph_magic.connector.responses import data_of, error_fields, json_of
from tests.connector.connector_kit import make_system
from tests.support.graph import GRAPH

# ---------------------------------------------------------------------------- build_request


def _build(config: dict, params: dict | None = None, **system: object) -> PreparedRequest:
    return GraphConnector(make_system(**system)).build_request(
        config, params=params, correlation_id="corr-1"
    )


def test_build_request_adds_the_advanced_query_and_the_connector_headers() -> None:
    request = _build(
        {
            "endpoint": "/users",
            "params": {"$filter": "endsWith(mail,'@x.com')", "$top": 5},
            "headers": {"X-Trace": "abc"},
        }
    )
    assert request.method == "GET"
    assert request.url == f"{GRAPH}/users?$filter=endsWith(mail,'@x.com')&$top=5&$count=true"
    assert request.target == f"{GRAPH}/users?$filter=endsWith(mail,'@x.com')&$top=5"
    assert request.headers == {
        "ConsistencyLevel": "eventual",
        "X-Trace": "abc",
        "Content-Type": "application/json",
        "client-request-id": "corr-1",
    }
    assert request.implicit == {"content-type", "client-request-id"}
    assert request.content is None and request.advanced and request.path == "/users"


def test_build_request_encodes_a_body_once_and_keeps_the_callers_content_type() -> None:
    request = _build(
        {
            "method": "patch",
            "endpoint": "/users/{id}",
            "body": {"jobTitle": "Boss"},
            "headers": {"content-type": "application/merge-patch+json"},
        },
        params={"id": "abc/def"},
    )
    assert request.method == "PATCH" and request.url == f"{GRAPH}/users/abc%2Fdef"
    assert request.content == b'{"jobTitle": "Boss"}'
    assert request.headers["content-type"] == "application/merge-patch+json"
    assert "Content-Type" not in request.headers and request.implicit == {"client-request-id"}


def test_build_request_fills_placeholders_as_one_segment() -> None:
    request = _build({"method": "DELETE", "endpoint": "/groups/{id}"}, params={"id": "a/b?c"})
    assert request.url == f"{GRAPH}/groups/a%2Fb%3Fc" and request.content is None


def test_a_next_link_keeps_its_bytes_and_never_mode_adds_nothing() -> None:
    link = f"{GRAPH}/users?$filter=x%20eq%201&$skiptoken=X%274%27"
    request = _build({"endpoint": link}, advanced_query="never")
    assert request.url == request.target == link
    assert "ConsistencyLevel" not in request.headers and not request.advanced


@pytest.mark.parametrize(
    ("config", "complaint"),
    [({"method": "GET"}, "endpoint"), ({"endpoint": "/x", "body": {"a": 1}}, "no body")],
)
def test_build_request_refuses_what_cannot_be_sent(config: dict, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        _build(config)


# ---------------------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    ("content_type", "content", "expected"),
    [
        ("application/json; odata.metadata=minimal", b'{"id": "1"}', {"id": "1"}),
        ("text/plain", b"893", "893"),
        ("text/plain; charset=iso-8859-1", "Zoë".encode("latin-1"), "Zoë"),
        ('text/html; charset="utf-8"', "<b>é</b>".encode(), "<b>é</b>"),
        ("text/csv", b"a,b\n1,2\n", b"a,b\n1,2\n"),
        ("application/octet-stream", b"\x00\x01", b"\x00\x01"),
        ("application/json", b"{not json", b"{not json"),
        ("application/json", b"", None),
    ],
)
def test_one_rule_decodes_every_answer(content_type: str, content: bytes, expected: object) -> None:
    assert data_of(200, content_type, content, json_of(content_type, content)) == expected


def test_a_204_has_no_data_whatever_it_carries() -> None:
    assert data_of(204, "text/plain", b"x", None) is None


def test_error_fields_read_both_spellings_of_inner_error() -> None:
    for key in ("innerError", "innererror"):
        body = {"error": {"code": "C", "message": "M", key: {"request-id": "r", "date": "d"}}}
        fields = error_fields(body)
        assert (fields.code, fields.message, fields.request_id, fields.date) == ("C", "M", "r", "d")
    assert error_fields("plain text").message == "plain text"
    assert error_fields({"value": []}).code is None


# ---------------------------------------------------------------------------- pages


def _page(number: int, ids: list[str], link: str | None = None, **extra: object) -> Page:
    body: dict = {"value": [{"id": i} for i in ids], **extra}
    if link:
        body["@odata.nextLink"] = link
    return Page(number, f"{GRAPH}/users", 200, httpx.Headers({"request-id": "r"}), body)


def test_a_page_is_the_mapping_graph_sent_with_its_facts_alongside() -> None:
    page = _page(1, ["1", "2"], "next", **{"@odata.count": 9})
    assert page["value"] == [{"id": "1"}, {"id": "2"}] and page["@odata.nextLink"] == "next"
    assert dict(page) == page.json and len(page) == 3
    assert (page.number, page.status_code, page.next_link, page.count) == (1, 200, "next", 9)
    assert page.is_collection and page.cut(1).items == [{"id": "1"}]
    assert page.cut(1)["value"] == page["value"]  # the mapping stays what Graph sent
    text = Page(1, "u", 200, httpx.Headers({"content-type": "text/plain"}), None, content=b"5")
    assert dict(text) == {} and not text.is_collection and text.data == "5"


def test_a_page_set_consolidates_and_cuts_at_max_items() -> None:
    found = PageSet(max_items=3)
    assert found.add(_page(1, ["1", "2"], "p2", **{"@odata.count": 5})) == [
        {"id": "1"},
        {"id": "2"},
    ]
    assert not found.full
    assert found.add(_page(2, ["3", "4"], "p3")) == [{"id": "3"}]
    assert found.full and found.leftover == [{"id": "4"}] and found.more
    assert found.data() == {
        "@odata.count": 5,
        "value": [{"id": "1"}, {"id": "2"}, {"id": "3"}],
        "@odata.nextLink": "p3",
    }
    assert (found.pages, found.total, found.next_link) == (2, 3, "p3")


def test_one_untouched_page_is_returned_as_graph_sent_it() -> None:
    found = PageSet()
    page = _page(1, ["1"], **{"@odata.deltaLink": "d"})
    found.add(page)
    assert found.data() is page.json and not found.more


def test_a_page_set_can_count_without_keeping_everything() -> None:
    found = PageSet(keep=2)
    found.add(_page(1, ["1", "2", "3"]))
    assert found.items == [{"id": "1"}, {"id": "2"}] and found.total == 3 and not found.kept_all


def test_build_batch_takes_decoded_params_like_build_request() -> None:
    connector = GraphConnector(make_system())
    (item,) = connector.build_batch(
        [{"id": "a", "url": "/users", "params": {"$filter": "endsWith(mail,'@x.com')"}}]
    )
    assert item.url == "/users?$filter=endsWith(mail,'@x.com')&$count=true"
    assert item.headers == {"ConsistencyLevel": "eventual"}
    assert connector.base_url == GRAPH
