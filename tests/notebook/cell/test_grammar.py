"""The cell grammar case by case, and Graph's documented HTTP examples pasted as they are."""

from __future__ import annotations

import pytest

from graph_magic.notebook.cell import RequestSpec, parse_cell


def one(text: str, namespace: dict | None = None) -> RequestSpec:
    specs = parse_cell(text, namespace)
    assert len(specs) == 1
    return specs[0]


# ---- request line ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "get", "Post", "pAtCh", "PUT", "delete"])
def test_method_any_case_is_upper_cased(method: str) -> None:
    body = "\n\n{}" if method.upper() in {"POST", "PATCH", "PUT"} else ""
    assert one(f"{method} /me{body}").method == method.upper()


def test_method_defaults_to_get() -> None:
    spec = one("/users")
    assert (spec.method, spec.path, spec.target, spec.version) == ("GET", "/users", "/users", None)


def test_relative_path_without_slash_is_rooted() -> None:
    assert one("GET users/abc/memberOf").path == "/users/abc/memberOf"
    assert one("me").path == "/me"


def test_documentation_placeholder_braces_are_kept_as_written() -> None:
    assert one("GET users/{id}").path == "/users/{id}"


def test_whole_spec_for_a_plain_get() -> None:
    assert one("GET /me") == RequestSpec(
        id="1",
        method="GET",
        target="/me",
        path="/me",
        version=None,
        params={},
        headers={},
        body=None,
        depends_on=(),
        line=1,
    )


@pytest.mark.parametrize(
    ("target", "version", "path"),
    [
        ("https://graph.microsoft.com/v1.0/users", "v1.0", "/users"),
        ("https://graph.microsoft.com/beta/users/x/manager", "beta", "/users/x/manager"),
        ("HTTPS://Graph.Microsoft.com:443/beta/me", "beta", "/me"),
        ("https://graph.microsoft.com/v1.0", "v1.0", "/"),
        ("/v1.0/users", "v1.0", "/users"),
        ("/beta/devices", "beta", "/devices"),
        ("beta/devices", "beta", "/devices"),
        ("/V1.0/me", "v1.0", "/me"),
    ],
)
def test_full_urls_and_version_prefixes_set_the_version(
    target: str, version: str, path: str
) -> None:
    spec = one(f"GET {target}")
    assert (spec.version, spec.path, spec.target) == (version, path, target)


def test_trailing_http_version_is_ignored() -> None:
    spec = one("GET /me/messages HTTP/1.1")
    assert (spec.path, spec.target) == ("/me/messages", "/me/messages")


def test_request_line_may_be_indented_and_follow_blank_and_comment_lines() -> None:
    spec = one("\n\n# list users\n   GET   /users   \n")
    assert (spec.method, spec.path, spec.line) == ("GET", "/users", 4)


# ---- query strings and options ---------------------------------------------------------------


def test_inline_query_string_is_split_and_decoded_once() -> None:
    spec = one("GET /users?$select=id,displayName&$filter=displayName%20eq%20'a%2Bb'&x")
    assert spec.path == "/users"
    assert spec.params == {"$select": "id,displayName", "$filter": "displayName eq 'a+b'", "x": ""}


def test_plus_in_a_query_string_is_a_space_and_an_option_line_keeps_it() -> None:
    # Issue #18 reversed the old rule ("+ stays a plus"): Graph and browsers read + as a space.
    assert one('GET /users?$search="a+b%2Bc"').params == {"$search": '"a b+c"'}
    assert one('GET /users\n$search: "a+b"').params == {"$search": '"a+b"'}


def test_spaces_in_an_inline_query_are_data_as_in_the_docs() -> None:
    text = (
        "GET https://graph.microsoft.com/v1.0/me/messages"
        "?$filter=from/emailAddress/address eq 'a@b.com'"
    )
    spec = one(text)
    assert spec.params == {"$filter": "from/emailAddress/address eq 'a@b.com'"}
    assert spec.path == "/me/messages"


def test_option_lines_colon_and_equals_keep_order_and_text_as_written() -> None:
    spec = one(
        "GET /users?$top=5\n"
        "$filter: startswith(displayName,'A') and x eq 'k:v'\n"
        "$select=id,mail\n"
        '$search :  "display:a%20b"  \n'
    )
    assert list(spec.params.items()) == [
        ("$top", "5"),
        ("$filter", "startswith(displayName,'A') and x eq 'k:v'"),
        ("$select", "id,mail"),
        ("$search", '"display:a%20b"'),
    ]


def test_question_and_ampersand_lines_carry_query_strings() -> None:
    spec = one(
        "GET /reports/getOffice365ActiveUserDetail(period='D7')\n?format=json&$top=5\n&a%26b=c%3Dd"
    )
    assert spec.params == {"format": "json", "$top": "5", "a&b": "c=d"}
    assert spec.path == "/reports/getOffice365ActiveUserDetail(period='D7')"


# ---- headers ---------------------------------------------------------------------------------


def test_header_lines_keep_name_and_value() -> None:
    spec = one(
        'GET /users\nConsistencyLevel: eventual\nPrefer: outlook.body-content-type="text"\nX-Empty:'
    )
    assert spec.headers == {
        "ConsistencyLevel": "eventual",
        "Prefer": 'outlook.body-content-type="text"',
        "X-Empty": "",
    }


def test_comments_between_header_lines_are_ignored() -> None:
    spec = one(
        "GET /users\n# the header Graph wants for $count\nConsistencyLevel: eventual\n#$top: 3"
    )
    assert spec.headers == {"ConsistencyLevel": "eventual"}
    assert spec.params == {}


# ---- bodies ----------------------------------------------------------------------------------


def test_json_body_after_blank_line() -> None:
    spec = one(
        'PATCH /me\nContent-Type: application/json\n\n{"jobTitle": "Analyst", "n": [1, 2.5, null]}'
    )
    assert spec.body == {"jobTitle": "Analyst", "n": [1, 2.5, None]}


def test_yaml_body_when_not_json() -> None:
    spec = one(
        "POST /groups\n\n"
        "displayName: Analysts\n"
        "mailEnabled: false\n"
        "# YAML comments are fine\n"
        "groupTypes: []\n"
        "since: 2024-05-01\n"
    )
    assert spec.body == {
        "displayName": "Analysts",
        "mailEnabled": False,
        "groupTypes": [],
        "since": "2024-05-01",
    }


def test_json_body_with_comment_lines_is_read_as_yaml_flow() -> None:
    spec = one('POST /groups\n\n{\n  # the name\n  "displayName": "A"\n}\n# trailing note')
    assert spec.body == {"displayName": "A"}


def test_blank_lines_around_the_body_are_ignored() -> None:
    spec = one('POST /x\n\n\n\n{"a": 1}\n\n\n')
    assert spec.body == {"a": 1}


def test_post_without_body_has_none() -> None:
    assert one("POST /me/revokeSignInSessions").body is None


def test_get_followed_by_blank_and_comment_lines_is_fine() -> None:
    assert one("GET /me\n\n# nothing here\n\n").body is None


def test_json_scalar_body_is_allowed() -> None:
    assert one('PUT /x\n\n"text"').body == "text"


# ---- several requests ------------------------------------------------------------------------


def test_separators_number_requests_from_one() -> None:
    specs = parse_cell("GET /me\n###\nGET /users\n###\nGET /groups")
    assert [(s.id, s.path, s.line) for s in specs] == [
        ("1", "/me", 1),
        ("2", "/users", 3),
        ("3", "/groups", 5),
    ]


def test_ids_and_after_dependencies() -> None:
    specs = parse_cell(
        '### make\nPOST /groups\n\n{"displayName": "g"}\n'
        '### add after make\nPOST /groups/x/members/$ref\n\n{"a": 1}\n'
        "### check after make, add\nGET /groups/x/members\n"
        "###after check\nGET /me\n"
    )
    assert [(s.id, s.depends_on, s.line) for s in specs] == [
        ("make", (), 2),
        ("add", ("make",), 6),
        ("check", ("make", "add"), 10),
        ("4", ("check",), 12),
    ]


def test_after_may_name_a_numbered_request() -> None:
    specs = parse_cell("GET /me\n### second after 1\nGET /users")
    assert [(s.id, s.depends_on) for s in specs] == [("1", ()), ("second", ("1",))]


def test_separator_before_the_first_request_and_comment_only_gaps() -> None:
    specs = parse_cell(
        "# two requests\n\n### a\n# first\nGET /me\n#### not a separator\n### b\nGET /users"
    )
    assert [(s.id, s.path) for s in specs] == [("a", "/me"), ("b", "/users")]


# ---- documented examples, pasted as they are ---------------------------------------------------

CREATE_USER = """POST https://graph.microsoft.com/v1.0/users
Content-type: application/json

{
  "accountEnabled": true,
  "displayName": "Adele Vance",
  "mailNickname": "AdeleV",
  "userPrincipalName": "AdeleV@contoso.com",
  "passwordProfile" : {
    "forceChangePasswordNextSignIn": true,
    "password": "xWwvJ]6NMw+bWH-d"
  }
}
"""

ADVANCED_QUERY = """GET https://graph.microsoft.com/v1.0/users?$filter=startswith(displayName,'a')&$count=true&$top=1&$orderby=displayName
ConsistencyLevel: eventual
"""

ADD_MEMBER = """POST https://graph.microsoft.com/v1.0/groups/{group-id}/members/$ref
Content-type: application/json

{
  "@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"
}
"""

BETA_SIGNINS = (
    "GET https://graph.microsoft.com/beta/auditLogs/signIns?"
    "&$filter=(createdDateTime ge 2024-07-01T00:00:00Z and createdDateTime le 2024-07-14T23:59:59Z)"
)


def test_documented_create_user() -> None:
    spec = one(CREATE_USER)
    assert (spec.method, spec.version, spec.path) == ("POST", "v1.0", "/users")
    assert spec.headers == {"Content-type": "application/json"}
    assert spec.body["passwordProfile"] == {
        "forceChangePasswordNextSignIn": True,
        "password": "xWwvJ]6NMw+bWH-d",
    }
    assert spec.body["userPrincipalName"] == "AdeleV@contoso.com"


def test_documented_advanced_query() -> None:
    spec = one(ADVANCED_QUERY)
    assert spec.params == {
        "$filter": "startswith(displayName,'a')",
        "$count": "true",
        "$top": "1",
        "$orderby": "displayName",
    }
    assert spec.headers == {"ConsistencyLevel": "eventual"}
    assert (spec.version, spec.path) == ("v1.0", "/users")


def test_documented_add_member_ref() -> None:
    spec = one(ADD_MEMBER)
    assert spec.path == "/groups/{group-id}/members/$ref"
    assert spec.body == {"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}


def test_documented_beta_signins_with_spaces_in_filter() -> None:
    spec = one(BETA_SIGNINS)
    assert spec.version == "beta"
    assert spec.path == "/auditLogs/signIns"
    assert spec.params == {
        "$filter": "(createdDateTime ge 2024-07-01T00:00:00Z and createdDateTime le "
        "2024-07-14T23:59:59Z)"
    }


def test_windows_line_endings() -> None:
    spec = one(CREATE_USER.replace("\n", "\r\n"))
    assert spec.headers == {"Content-type": "application/json"}
    assert spec.body["displayName"] == "Adele Vance"
