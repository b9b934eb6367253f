"""Settings: defaults, environment, config file, overrides, profiles, and the errors that name the culprit."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
import timeit
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dinamis_widgets import settings as settings_mod
from dinamis_widgets.errors import ConfigurationError
from dinamis_widgets.settings import (
    DINAMIS,
    ENV_VARS,
    THEIA,
    Profile,
    get_settings,
    host_matches,
    override,
    profile_for,
    reload_settings,
    set_settings,
)
from dinamis_widgets.settings import store as settings_store


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No DINAMIS_*/TLD_*/CI variable, and a home of our own (no real config file is read)."""
    for name in (*ENV_VARS, "CI"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    reload_settings(keep_overrides=False)
    yield home
    monkeypatch.undo()
    reload_settings(keep_overrides=False)


def _write_config(home: Path, text: str) -> Path:
    path = home / ".config" / "dinamis_widgets" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults(clean_env: Path) -> None:
    s = get_settings()
    assert s.profile == "dinamis"
    assert s.active_profile() == DINAMIS
    assert s.config_dir == clean_env / ".config" / "teledetection"
    assert s.config_file == clean_env / ".config" / "dinamis_widgets" / "config.toml"
    assert (s.url_duration, s.ttl_margin, s.request_timeout) == (0, 1800, 30.0)
    assert (s.retry_total, s.retry_backoff_factor, s.disable_auth) == (10, 0.8, False)
    assert s.interactive is None
    assert s.max_validity == 7 * 86400
    assert s.apikey_path == s.config_dir / ".apikey"
    assert s.jwt_path == s.config_dir / ".jwt"


def test_real_profiles() -> None:
    assert DINAMIS.stac_api == "https://api.stac.teledetection.fr/"
    assert DINAMIS.signing_endpoint == "https://signing.stac.teledetection.fr/"
    assert DINAMIS.signable_hosts == ("meso.umontpellier.fr",)
    assert THEIA.stac_api == "https://theia.stac.teledetection.fr/"
    assert THEIA.signing_endpoint == DINAMIS.signing_endpoint
    assert profile_for("mtd").stac_api == DINAMIS.stac_api
    assert DINAMIS.needs_signing("https://s3-data.meso.umontpellier.fr/bucket/c/i/ms.tif")
    assert not DINAMIS.needs_signing("https://example.org/ms.tif")
    assert not Profile("x", "https://x/", None, ("x",)).needs_signing("https://x/k")


def test_tld_config_dir_follows_the_sdk_rule(clean_env: Path) -> None:
    import appdirs

    assert get_settings().config_dir == Path(appdirs.user_config_dir("teledetection"))


def test_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {
        "DINAMIS_PROFILE": "theia",
        "DINAMIS_STAC_API": "http://127.0.0.1:1234",
        "DINAMIS_SIGNABLE_HOSTS": " 127.0.0.1:5678 , Example.org ,",
        "TLD_SIGNING_ENDPOINT": "http://127.0.0.1:4321",
        "TLD_ACCESS_KEY": "ak",
        "TLD_SECRET_KEY": "sk",
        "TLD_CONFIG_DIR": str(tmp_path / "tld"),
        "TLD_URL_DURATION": "3600",
        "TLD_TTL_MARGIN": "60",
        "TLD_REQUEST_TIMEOUT": "5.5",
        "TLD_RETRY_TOTAL": "2",
        "TLD_RETRY_BACKOFF_FACTOR": "0.1",
        "TLD_DISABLE_AUTH": "true",
        "DINAMIS_INTERACTIVE": "0",
        "DINAMIS_MAX_VALIDITY": "P2D",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = get_settings()
    assert s.profile == "theia"
    p = s.active_profile()
    assert p.name == "theia"
    assert p.stac_api == "http://127.0.0.1:1234/"
    assert p.signing_endpoint == "http://127.0.0.1:4321/"
    assert p.signable_hosts == ("127.0.0.1:5678", "example.org")
    assert (s.access_key, s.secret_key) == ("ak", "sk")
    assert s.config_dir == tmp_path / "tld"
    assert (s.url_duration, s.ttl_margin, s.request_timeout, s.retry_total) == (3600, 60, 5.5, 2)
    assert s.retry_backoff_factor == 0.1
    assert s.disable_auth is True
    assert s.interactive is False
    assert s.max_validity == 2 * 86400
    # credentials never appear in the repr
    assert "sk" not in repr(s).replace("task", "")
    assert "secret_key" not in repr(s)


def test_the_variables_of_a_running_twin_make_the_twin_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {  # as Twin.env() gives them
        "DINAMIS_PROFILE": "twin",
        "DINAMIS_STAC_API": "http://127.0.0.1:40001/",
        "DINAMIS_SIGNABLE_HOSTS": "127.0.0.1:40003",
        "DINAMIS_TWIN_DATA": "http://127.0.0.1:40003",
        "DINAMIS_TWIN_ADMIN_TOKEN": "admin",
        "TLD_SIGNING_ENDPOINT": "http://127.0.0.1:40002/",
        "TLD_ACCESS_KEY": "twin-demo-access-key",
        "TLD_SECRET_KEY": "twin-demo-secret-key-not-a-secret",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    p = get_settings().active_profile()
    assert p == Profile("twin", "http://127.0.0.1:40001/", "http://127.0.0.1:40002/", ("127.0.0.1:40003",),
                        p.description)
    assert p.needs_signing("http://127.0.0.1:40003/bucket/k.tif")
    assert not p.needs_signing("http://127.0.0.1:40001/collections")
    # other named profiles are returned as defined, without the twin's variables
    assert profile_for("dinamis") == DINAMIS


def test_twin_profile_without_a_twin_says_how_to_start_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DINAMIS_PROFILE", "twin")
    monkeypatch.setenv("DINAMIS_STAC_API", "http://127.0.0.1:40001/")
    s = get_settings()  # reading the settings does not fail
    with pytest.raises(ConfigurationError) as info:
        s.active_profile()
    message = str(info.value)
    assert "start the twin: `dinamis-widgets twin` or `dinamis_widgets.twin.start()`" in message
    assert "TLD_SIGNING_ENDPOINT" in message and "DINAMIS_SIGNABLE_HOSTS" in message
    assert "DINAMIS_STAC_API" not in message.split("and")[0]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TLD_TTL_MARGIN", "abc", "whole number"),
        ("TLD_TTL_MARGIN", "-5", "whole number >= 0"),
        ("TLD_RETRY_TOTAL", "1.5", "whole number"),
        ("TLD_REQUEST_TIMEOUT", "0", "positive"),
        ("TLD_REQUEST_TIMEOUT", "soon", "number"),
        ("TLD_RETRY_BACKOFF_FACTOR", "-1", "number >= 0"),
        ("TLD_DISABLE_AUTH", "maybe", "boolean"),
        ("DINAMIS_INTERACTIVE", "perhaps", "boolean"),
        ("TLD_SIGNING_ENDPOINT", "ftp://x", "http"),
        ("DINAMIS_STAC_API", "api.stac.teledetection.fr", "http"),
        ("TLD_URL_DURATION", "30m", "ambiguous"),
        ("TLD_URL_DURATION", "-1", "positive"),
        ("DINAMIS_MAX_VALIDITY", "0", "zero"),
        ("DINAMIS_SIGNABLE_HOSTS", "https://x.org/path", "host names"),
    ],
)
def test_bad_environment_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                                   expected: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        get_settings()
    assert f"environment variable {name}" in str(info.value)
    assert repr(value) in str(info.value)
    assert expected in str(info.value)


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TLD_TTL_MARGIN", "")
    monkeypatch.setenv("DINAMIS_PROFILE", "  ")
    s = get_settings()
    assert s.ttl_margin == 1800 and s.profile == "dinamis"


def test_url_duration_accepts_validity_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TLD_URL_DURATION", "PT3H")
    assert get_settings().url_duration == 10800
    monkeypatch.setenv("TLD_URL_DURATION", "0")
    assert get_settings().url_duration == 0


def test_config_file(clean_env: Path) -> None:
    _write_config(clean_env, """
profile = "mine"
ttl_margin = 900
url_duration = "3h"
interactive = false
signable_hosts = ["data.example.org"]

[profiles.mine]
stac_api = "https://stac.example.org"
signing_endpoint = "https://signing.example.org"
signable_hosts = "data.example.org, other.example.org"
description = "Mine"

[profiles.nosign]
stac_api = "https://public.example.org/stac/"

[profiles.dinamis]
description = "amended"
""")
    s = get_settings()
    assert (s.profile, s.ttl_margin, s.url_duration, s.interactive) == ("mine", 900, 10800, False)
    p = s.active_profile()
    assert p.name == "mine"
    assert p.stac_api == "https://stac.example.org/"
    assert p.signing_endpoint == "https://signing.example.org/"
    assert p.signable_hosts == ("data.example.org",)  # the top-level setting applies to the active one
    assert profile_for("mine").signable_hosts == ("data.example.org",)
    assert profile_for("nosign").signing_endpoint is None
    assert profile_for("nosign").signable_hosts == ()
    amended = profile_for("dinamis")
    assert amended.description == "amended" and amended.stac_api == DINAMIS.stac_api
    assert set(s.profiles()) >= {"dinamis", "theia", "mtd", "mine", "nosign"}


def test_precedence_override_env_file_default(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings().ttl_margin == 1800  # default
    _write_config(clean_env, "ttl_margin = 900\nretry_total = 3\n")
    assert get_settings().ttl_margin == 900  # file (picked up without reloading)
    monkeypatch.setenv("TLD_TTL_MARGIN", "600")
    assert get_settings().ttl_margin == 600  # env beats file
    assert get_settings().retry_total == 3
    with override(ttl_margin=300) as s:
        assert s.ttl_margin == 300  # override beats env
        assert get_settings().ttl_margin == 300
    assert get_settings().ttl_margin == 600
    set_settings(ttl_margin=120)
    assert get_settings().ttl_margin == 120
    assert reload_settings().ttl_margin == 120  # overrides survive a reload...
    set_settings(ttl_margin=None)  # ...until removed
    assert get_settings().ttl_margin == 600
    set_settings(ttl_margin=30)
    assert reload_settings(keep_overrides=False).ttl_margin == 600


def test_explicit_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text('profile = "theia"\n')
    monkeypatch.setenv("DINAMIS_CONFIG", str(path))
    assert get_settings().profile == "theia"
    assert get_settings().config_file == path
    monkeypatch.setenv("DINAMIS_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigurationError, match=r"missing\.toml.*does not exist"):
        get_settings()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("profile = ", "Cannot read the config file"),
        ("nonsense = 1", "Unknown key 'nonsense'"),
        ('access_key = "x"', "Put API keys in the .apikey file"),
        ("ttl_margin = 'soon'", "'ttl_margin' in"),
        ("[profiles.twin]\nstac_api = 'http://x'", "cannot be defined in the config file"),
        ("[profiles.x]\nsigning_endpoint = 'http://x'", "'stac_api' is missing"),
        ("[profiles.x]\nstac_api = 'http://x'\ncolour = 'red'", "unknown key(s) colour"),
        ("[profiles.x]\nstac_api = 'x.org'", "stac_api of [profiles.x]"),
    ],
)
def test_bad_config_files_name_the_file_and_key(clean_env: Path, text: str, expected: str) -> None:
    path = _write_config(clean_env, text)
    with pytest.raises(ConfigurationError) as info:
        get_settings()
    assert expected in str(info.value)
    assert str(path) in str(info.value)


def test_overrides_are_validated(clean_env: Path) -> None:
    with pytest.raises(ConfigurationError, match="Unknown setting 'ttl'"):
        set_settings(ttl=5)
    with pytest.raises(ConfigurationError, match="setting ttl_margin"):
        set_settings(ttl_margin="soon")
    assert get_settings().ttl_margin == 1800  # nothing changed
    s = set_settings(url_duration="90min", signable_hosts=["a.org", "b.org"], interactive=True)
    assert (s.url_duration, s.signable_hosts, s.interactive) == (5400, ("a.org", "b.org"), True)


def test_unknown_profile(clean_env: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        profile_for("nowhere")
    assert "Unknown catalogue profile 'nowhere'" in str(info.value)
    assert "twin" in str(info.value) and "dinamis" in str(info.value)
    set_settings(profile="nowhere")
    with pytest.raises(ConfigurationError):
        get_settings().active_profile()


def test_profile_for_a_url(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = profile_for("https://stac.example.org/v1")
    assert p.name == p.stac_api == "https://stac.example.org/v1/"
    assert p.signing_endpoint == DINAMIS.signing_endpoint
    assert p.signable_hosts == DINAMIS.signable_hosts
    # the URL of a known profile gives that profile
    assert profile_for("https://theia.stac.teledetection.fr") == THEIA
    # signing comes from the active settings
    monkeypatch.setenv("TLD_SIGNING_ENDPOINT", "http://127.0.0.1:9/")
    monkeypatch.setenv("DINAMIS_SIGNABLE_HOSTS", "127.0.0.1:10")
    p = profile_for("http://127.0.0.1:8/")
    assert (p.signing_endpoint, p.signable_hosts) == ("http://127.0.0.1:9/", ("127.0.0.1:10",))
    # a profile may also be chosen by URL in DINAMIS_PROFILE
    monkeypatch.setenv("DINAMIS_PROFILE", "http://127.0.0.1:8/")
    assert get_settings().active_profile().stac_api == "http://127.0.0.1:8/"
    assert profile_for(p) is p


def test_cached_until_something_changes(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    assert get_settings() is first
    monkeypatch.setenv("TLD_TTL_MARGIN", "10")
    second = get_settings()
    assert second is not first and second.ttl_margin == 10
    assert get_settings() is second
    path = _write_config(clean_env, "retry_total = 1\n")
    assert get_settings().retry_total == 1
    path.write_text("retry_total = 2  # longer\n")
    os.utime(path, ns=(1, 1))
    assert get_settings().retry_total == 2


def _write_elsewhere(path: Path, text: str) -> None:
    """Write a file from another process: no audit event in this one (as when an editor saves it)."""
    code = f"open({str(path)!r}, 'w').write({text!r})"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def _wait_for(condition: Any, timeout: float) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "not seen in time"
        time.sleep(0.01)
    return time.monotonic() - start


def test_a_cached_read_reads_no_variable_and_stats_no_file(clean_env: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_store, "CHECK_INTERVAL", 60.0)
    _write_config(clean_env, "ttl_margin = 900\n")
    first = reload_settings()
    assert settings_store._changes.active  # the audit hook runs
    calls = {"stat": 0, "env": 0}
    real_stat, environ_type = os.stat, type(os.environ)
    real_getitem = environ_type.__getitem__

    def counting_stat(*args: Any, **kwargs: Any) -> Any:
        calls["stat"] += 1
        return real_stat(*args, **kwargs)

    def counting_getitem(self: Any, key: str) -> Any:
        calls["env"] += 1
        return real_getitem(self, key)

    monkeypatch.setattr(os, "stat", counting_stat)
    monkeypatch.setattr(environ_type, "__getitem__", counting_getitem)
    for _ in range(1000):
        assert get_settings() is first
    assert calls == {"stat": 0, "env": 0}
    # a change made in this process is still seen at the next call
    monkeypatch.setenv("TLD_TTL_MARGIN", "60")
    assert get_settings().ttl_margin == 60
    assert calls["stat"] >= 1 and calls["env"] >= len(ENV_VARS)


def test_a_cached_read_costs_a_fraction_of_reading_the_variables(clean_env: Path) -> None:
    get_settings()
    n = 2000
    cached = min(timeit.repeat(get_settings, number=n, repeat=5)) / n
    one_pass = min(timeit.repeat(lambda: tuple(map(os.environ.get, ENV_VARS)), number=n, repeat=5)) / n
    assert cached < one_pass / 5, (cached, one_pass)


def test_an_edit_by_another_program_is_seen_within_the_interval(clean_env: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_store, "CHECK_INTERVAL", 0.2)
    path = _write_config(clean_env, "ttl_margin = 900\n")
    assert reload_settings().ttl_margin == 900
    _write_elsewhere(path, "ttl_margin = 600\n")  # same size
    assert _wait_for(lambda: get_settings().ttl_margin == 600, timeout=5) < 0.2 + 2


def test_without_the_audit_hook_every_call_checks(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_store._changes, "active", False)  # as if another audit hook refused it
    monkeypatch.setattr(settings_store, "CHECK_INTERVAL", 60.0)
    path = _write_config(clean_env, "ttl_margin = 900\n")
    first = reload_settings()
    assert first.ttl_margin == 900 and get_settings() is first
    _write_elsewhere(path, "ttl_margin = 600\n")
    assert get_settings().ttl_margin == 600


def test_equal_settings_keep_the_same_object(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    monkeypatch.setenv("TLD_TTL_MARGIN", "1800")  # the default: nothing to build again
    monkeypatch.setenv("DINAMIS_PROFILE", "")
    assert get_settings() is first
    monkeypatch.setenv("TLD_TTL_MARGIN", "1801")
    assert get_settings() is not first


def test_changes_of_other_variables_and_reads_of_files_are_not_counted(
        clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = settings_store._changes
    path = _write_config(clean_env, "ttl_margin = 900\n")
    before = counter.count
    monkeypatch.setenv("DINAMIS_NOT_A_SETTING", "1")
    monkeypatch.delenv("DINAMIS_NOT_A_SETTING")
    path.read_text()
    assert counter.count == before
    monkeypatch.setenv("TLD_RETRY_TOTAL", "3")
    after_env = counter.count
    monkeypatch.delenv("TLD_RETRY_TOTAL")
    assert before != after_env != counter.count
    path.touch()
    assert counter.count != after_env


def test_a_read_between_the_event_and_the_change_does_not_stick(clean_env: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """``os.environ[k] = v`` raises its audit event, then changes the variable: a read in between (by
    another thread) gets the old value, but must not leave it cached for the next calls."""
    assert get_settings().ttl_margin == 1800 and settings_store._changes.active
    inside: list[int] = []
    armed = [True]

    def read_in_between(event: str, args: tuple[Any, ...]) -> None:  # runs after the settings' own hook
        if armed[0] and event == "os.putenv" and os.fsdecode(args[0]) == "TLD_TTL_MARGIN":
            armed[0] = False
            inside.append(get_settings().ttl_margin)

    sys.addaudithook(read_in_between)  # stays for the process, disarmed
    try:
        monkeypatch.setenv("TLD_TTL_MARGIN", "42")
    finally:
        armed[0] = False
    assert inside == [1800]
    assert get_settings().ttl_margin == 42


def test_threads_reading_while_another_changes_a_variable(clean_env: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_store, "CHECK_INTERVAL", 0.1)
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: list[tuple[int, int]] = []  # (phase when the call started, value)
    phase = [0]

    def reader() -> None:
        try:
            while not stop.is_set():
                started = phase[0]
                seen.append((started, get_settings().ttl_margin))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for value in range(100, 300):
            monkeypatch.setenv("TLD_TTL_MARGIN", str(value))
        assert get_settings().ttl_margin == 299  # the thread that changed it sees it at once
        phase[0] = 1  # every call that starts now sees it too
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert {v for p, v in seen if p == 1} == {299}


def test_settings_pickle_and_replace() -> None:
    s = get_settings()
    assert pickle.loads(pickle.dumps(s)) == s
    r = s.replace(ttl_margin="60")
    assert r.ttl_margin == 60 and s.ttl_margin == 1800


@pytest.mark.parametrize(
    ("url", "patterns", "expected"),
    [
        ("https://s3-data.meso.umontpellier.fr/b/k", ["meso.umontpellier.fr"], True),
        ("https://meso.umontpellier.fr/b/k", ["meso.umontpellier.fr"], True),
        ("https://S3-DATA.MESO.UMONTPELLIER.FR/b/k", ["meso.umontpellier.fr"], True),
        ("https://s3-data.meso.umontpellier.fr:443/b/k", ["meso.umontpellier.fr"], True),
        ("https://evilmeso.umontpellier.fr/b/k", ["meso.umontpellier.fr"], False),
        ("https://meso.umontpellier.fr.evil.org/b/k", ["meso.umontpellier.fr"], False),
        ("https://user@s3-data.meso.umontpellier.fr/b/k", ["meso.umontpellier.fr"], True),
        ("http://127.0.0.1:41234/b/k", ["127.0.0.1:41234"], True),
        ("http://127.0.0.1:41235/b/k", ["127.0.0.1:41234"], False),
        ("http://127.0.0.1:41235/b/k", ["127.0.0.1"], True),
        ("127.0.0.1:41234", ["127.0.0.1:41234"], True),
        ("https://x.org/k", [], False),
        ("https://x.org/k", ["", " "], False),
    ],
)
def test_host_matches(url: str, patterns: list[str], expected: bool) -> None:
    assert host_matches(url, patterns) is expected


def test_module_docstring_example_runs() -> None:
    assert settings_mod.__doc__ and "DINAMIS_PROFILE" in settings_mod.__doc__
