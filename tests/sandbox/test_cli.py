"""`graph-magic sandbox serve`: arguments become sandbox options; the server binds loopback."""

from __future__ import annotations

import pytest

import graph_magic.sandbox.serve as serve_module
from graph_magic.__main__ import build_parser, main, options_from_args, parse_faults
from graph_magic.sandbox import FaultOptions, SandboxOptions


def _options(*argv: str) -> SandboxOptions:
    return options_from_args(build_parser().parse_args(["sandbox", "serve", *argv]))


def test_defaults() -> None:
    args = build_parser().parse_args(["sandbox", "serve"])
    assert args.port == 8765
    assert _options() == SandboxOptions()


def test_sizes_seed_latency_and_faults() -> None:
    options = _options(
        "--users",
        "1000",
        "--seed",
        "7",
        "--latency-ms",
        "25",
        "--token-lifetime",
        "120",
        "--auto-approve",
        "adele@contoso.com",
        "--fault",
        "every_nth_429=10",
        "--fault",
        "retry_after_form=http-date,retry_after=2.5",
        "--faults",
        "throttle=true",
    )
    assert (options.users, options.seed, options.latency_ms) == (1000, 7, 25.0)
    assert options.token_lifetime_seconds == 120
    assert options.device_code_auto_approve == "adele@contoso.com"
    assert options.faults == FaultOptions(
        every_nth_429=10, retry_after_form="http-date", retry_after=2.5, throttle=True
    )


def test_log_sizes() -> None:
    options = _options(
        "--sign-ins", "50", "--directory-audits", "60", "--provisioning-events", "70"
    )
    assert (options.sign_ins, options.directory_audits, options.provisioning_events) == (50, 60, 70)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("rate_429", "must be KEY=VALUE"),
        ("nonsense=1", "unknown fault 'nonsense'"),
        ("throttle=maybe", "takes true or false"),
        ("every_nth_429=often", "invalid literal"),
    ],
)
def test_bad_fault_items(item: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_faults([item])


def test_main_serves_on_loopback(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    calls: list[tuple] = []
    monkeypatch.setattr(serve_module, "serve", lambda *a, **k: calls.append((a, k)))
    assert main(["sandbox", "serve", "--port", "9001", "--users", "12"]) == 0
    [(args, _kwargs)] = calls
    assert args[0].users == 12 and args[1] == 9001
    assert "http://127.0.0.1:9001" in capsys.readouterr().err


def test_main_rejects_a_bad_fault(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["sandbox", "serve", "--fault", "drop=1"])
    assert info.value.code == 2
    assert "unknown fault 'drop'" in capsys.readouterr().err


def test_server_binds_loopback_only() -> None:
    server = serve_module.make_server(SandboxOptions(), 0, app=lambda *a: None)
    assert server.config.host == "127.0.0.1"
