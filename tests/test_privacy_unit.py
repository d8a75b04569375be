"""Unit tests of asn_research.privacy: keys, keyed pseudonyms and small-cell suppression.

All identifiers and keys here are synthetic. Key files live under pytest's tmp_path with
HOME and the key variables redirected, so a developer's real key is never touched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import os
import pickle
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asn_research.errors import ConfigError, InputError, PrivacyError
from asn_research.privacy import PseudonymKey, load_key, pseudonymize, suppress_small_cells

SECRET = b"synthetic test key 0001 -- not real"
OTHER_SECRET = b"synthetic test key 0002 -- not real"
NIP = "198503122010011002"  # synthetic
NIK = "3674011203850001"  # synthetic
PSEUDONYM = re.compile(r"p_[0-9a-f]{24}")
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def reference_pseudonym(secret: bytes, kind: str, normalized: str) -> str:
    """The documented construction, computed with the standard library's hmac.new."""
    mac = hmac.new(secret, f"{kind}:{normalized}".encode(), hashlib.sha256)
    return "p_" + mac.hexdigest()[:24]


@pytest.fixture
def key() -> PseudonymKey:
    return PseudonymKey.from_secret(SECRET)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No key in the environment; HOME is an empty temporary directory."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("ASN_RESEARCH_KEY", raising=False)
    monkeypatch.delenv("ASN_RESEARCH_KEY_FILE", raising=False)
    return home


def write_key(path, text: str, mode: int = 0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


# --------------------------------------------------------------------------- PseudonymKey


def test_fingerprint_is_the_documented_hmac(key):
    expected = hmac.new(SECRET, b"asn-research key fingerprint v1", hashlib.sha256).hexdigest()
    assert key.fingerprint == expected[:12]
    assert key.source == "memory"


def test_key_never_shows_its_secret(key):
    shown = [repr(key), str(key), f"{key}", str(dataclasses.asdict(key))]
    for text in shown:
        assert SECRET.decode() not in text
        assert SECRET.hex() not in text
        assert key.fingerprint in text
    assert dataclasses.asdict(key) == {"fingerprint": key.fingerprint, "source": "memory"}


def test_key_equality_follows_the_secret_and_survives_pickling(key):
    assert PseudonymKey.from_secret(SECRET, source="file:/x") == key
    assert PseudonymKey.from_secret(OTHER_SECRET) != key
    clone = pickle.loads(pickle.dumps(key))
    assert clone == key
    values = pd.Series([NIP])
    assert pseudonymize(values, clone, kind="nip").equals(pseudonymize(values, key, kind="nip"))


def test_key_rejects_short_secret_and_wrong_fingerprint(key):
    with pytest.raises(PrivacyError, match="too short"):
        PseudonymKey.from_secret(b"short")
    with pytest.raises(PrivacyError, match="fingerprint"):
        PseudonymKey("000000000000", "memory", SECRET)


# --------------------------------------------------------------------------- pseudonymize


@pytest.mark.parametrize(
    ("kind", "value", "normalized"),
    [
        ("nip", NIP, NIP),
        ("nip", "'19850312 201001 1 002", NIP),
        ("nik", NIK, NIK),
        ("name", "  Nama\u00a0 CONTOH ", "nama contoh"),
        ("name", "\uff2e\uff41\uff4d\uff41 Contoh", "nama contoh"),  # full-width letters
    ],
)
def test_pseudonym_matches_the_documented_construction(key, kind, value, normalized):
    result = pseudonymize(pd.Series([value]), key, kind=kind)
    assert result.iloc[0] == reference_pseudonym(SECRET, kind, normalized)
    assert PSEUDONYM.fullmatch(result.iloc[0])


@pytest.mark.parametrize("length", [16, 64, 65, 200])
def test_any_key_length_matches_stdlib_hmac(length):
    secret = bytes((7 * i + 3) % 256 for i in range(length))  # synthetic
    result = pseudonymize(pd.Series([NIP]), PseudonymKey.from_secret(secret), kind="nip")
    assert result.iloc[0] == reference_pseudonym(secret, "nip", NIP)


def test_stable_under_the_same_key_different_under_another(key):
    values = pd.Series([NIP, NIK, "198503122010011003"])
    first = pseudonymize(values, key, kind="nip")
    again = pseudonymize(values, PseudonymKey.from_secret(SECRET), kind="nip")
    other = pseudonymize(values, PseudonymKey.from_secret(OTHER_SECRET), kind="nip")
    assert first.tolist() == again.tolist()
    assert not set(first) & set(other)
    assert first.nunique() == 3  # one digit apart: unrelated pseudonyms


def test_kind_separates_the_same_digits(key):
    digits = pd.Series(["3674011203850001"])
    as_nip = pseudonymize(digits, key, kind="nip").iloc[0]
    as_nik = pseudonymize(digits, key, kind="nik").iloc[0]
    as_name = pseudonymize(digits, key, kind="name").iloc[0]
    assert len({as_nip, as_nik, as_name}) == 3


def test_typed_variants_of_a_nip_link(key):
    variants = pd.Series(
        [
            NIP,
            "19850312 201001 1 002",
            "19850312.201001.1.002",
            "19850312-201001-1-002",
            "'198503122010011002",
            " 19850312\u00a0201001\u00a01\u00a0002 ",
        ]
    )
    assert pseudonymize(variants, key, kind="nip").nunique() == 1
    ints = pd.Series([198503122010011002])
    assert pseudonymize(ints, key, kind="nip").iloc[0] == pseudonymize(variants, key, kind="nip")[0]


def test_name_normalization_links_case_and_spacing_only(key):
    same = pd.Series(["Nama Contoh", "NAMA  CONTOH", "nama\tcontoh", " Nama Contoh "])
    assert pseudonymize(same, key, kind="name").nunique() == 1
    different = pd.Series(["Nama Contoh", "Nama Contoh, S.Kom.", "Nama Kontoh"])
    assert pseudonymize(different, key, kind="name").nunique() == 3


def test_missing_and_empty_give_na_and_index_and_name_are_kept(key):
    values = pd.Series([NIP, None, np.nan, "", "-", NIP], index=list("abcdef"), name="nip")
    result = pseudonymize(values, key, kind="nip")
    assert list(result.index) == list("abcdef")
    assert result.name == "nip_key"
    assert isinstance(result.dtype, pd.StringDtype) and result.dtype.na_value is pd.NA
    assert result.isna().tolist() == [False, True, True, True, True, False]
    assert result["a"] == result["f"]
    assert pseudonymize(pd.Series([NIP]), key, kind="nip").name is None


def test_pseudonymize_does_not_mutate_input(key):
    values = pd.Series(["19850312 201001 1 002", None])
    before = values.copy()
    pseudonymize(values, key, kind="nip")
    pd.testing.assert_series_equal(values, before)


def test_excel_numbers_are_refused_not_merged(key):
    # two different people whose NIPs Excel rounded to the same float would collide
    with pytest.raises(InputError) as err:
        pseudonymize(pd.Series([1.98503122010011e17], name="nip"), key, kind="nip")
    assert err.value.column == "nip" and "check_nip" in err.value.fix
    with pytest.raises(InputError) as err:
        pseudonymize(pd.Series([NIP, "1.98503E+17"]), key, kind="nip")
    assert "1.98503E+17" not in str(err.value) and NIP not in str(err.value)


def test_invalid_kind_lists_the_allowed_values(key):
    with pytest.raises(ConfigError, match="'nip', 'nik', 'name'"):
        pseudonymize(pd.Series([NIP]), key, kind="npwp")


def test_pseudonymize_logs_no_values(key, caplog):
    with caplog.at_level(logging.DEBUG, logger="asn_research"):
        pseudonymize(pd.Series([NIP, NIK]), key, kind="nip")
        pseudonymize(pd.Series(["Nama Contoh"]), key, kind="name")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert NIP not in text and NIK not in text and "Contoh" not in text
    assert SECRET.decode() not in text


def test_200k_values_with_repeats(key):
    rng = np.random.default_rng(11)
    pool = np.array([f"19{i:06d}2010011{i % 999 + 1:03d}" for i in range(40_000)], dtype=object)
    values = pd.Series(rng.choice(pool, 200_000))
    result = pseudonymize(values, key, kind="nip")
    assert result.notna().all()
    # one pseudonym per distinct NIP, and the mapping is a function of the value
    assert result.nunique() == values.nunique()
    pairs = pd.DataFrame({"v": values, "p": result}).drop_duplicates()
    assert len(pairs) == values.nunique()
    spot = rng.choice(len(values), 20, replace=False)
    for i in spot:
        assert result.iloc[i] == reference_pseudonym(SECRET, "nip", values.iloc[i])


# --------------------------------------------------------------------------- load_key


def test_env_hex_key(monkeypatch, clean_env):
    hex_key = "0f" * 32
    monkeypatch.setenv("ASN_RESEARCH_KEY", hex_key)
    loaded = load_key()
    assert loaded == PseudonymKey.from_secret(bytes.fromhex(hex_key))
    assert loaded.source == "env:ASN_RESEARCH_KEY"
    assert not (clean_env / ".config").exists()  # no file made when the env var is set


def test_env_text_key_and_custom_variable(monkeypatch, clean_env):
    monkeypatch.setenv("MY_KEY", "a passphrase of 24 chars")
    loaded = load_key(env_var="MY_KEY")
    assert loaded == PseudonymKey.from_secret(b"a passphrase of 24 chars")
    assert loaded.source == "env:MY_KEY"


@pytest.mark.parametrize(("value", "message"), [("", "empty"), ("tooshort123", "too short")])
def test_env_key_refused_when_empty_or_short(monkeypatch, clean_env, value, message):
    monkeypatch.setenv("ASN_RESEARCH_KEY", value)
    with pytest.raises(PrivacyError, match=message) as err:
        load_key()
    assert "Fix:" in str(err.value)
    if value:
        assert value not in str(err.value)


def test_env_key_wins_over_key_file(monkeypatch, clean_env, tmp_path):
    path = write_key(tmp_path / "keys" / "k.key", "ab" * 32)
    monkeypatch.setenv("ASN_RESEARCH_KEY", "cd" * 32)
    assert load_key(key_file=path).source == "env:ASN_RESEARCH_KEY"


@posix_only
def test_first_use_creates_a_private_key_file_and_warns_once(clean_env, caplog):
    with caplog.at_level(logging.DEBUG, logger="asn_research.privacy"):
        first = load_key()
    path = clean_env / ".config" / "asn-research" / "pseudonym.key"
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    content = path.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}\n", content)
    assert first == PseudonymKey.from_secret(bytes.fromhex(content.strip()))
    assert first.source == f"file:{path}"

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].name == "asn_research.privacy"
    notice = warnings[0].getMessage()
    assert str(path) in notice
    for words in ("secret", "back it up", "will not link", "outside the repository"):
        assert words in notice
    all_logs = "\n".join(r.getMessage() for r in caplog.records)
    assert content.strip() not in all_logs

    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="asn_research.privacy"):
        second = load_key()
    assert second == first  # the same key is read back; nothing new is created
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@posix_only
def test_key_file_from_environment_variable(monkeypatch, clean_env, tmp_path):
    path = tmp_path / "vault" / "asn.key"
    monkeypatch.setenv("ASN_RESEARCH_KEY_FILE", str(path))
    loaded = load_key()
    assert path.is_file() and loaded.source == f"file:{path}"
    assert not (clean_env / ".config").exists()


def test_existing_key_file_is_read(clean_env, tmp_path):
    path = write_key(tmp_path / "keys" / "k.key", "ab" * 32 + "\n")
    assert load_key(key_file=path) == PseudonymKey.from_secret(bytes.fromhex("ab" * 32))


def test_missing_key_file_without_create(clean_env, tmp_path):
    path = tmp_path / "keys" / "absent.key"
    with pytest.raises(PrivacyError, match="does not exist"):
        load_key(key_file=path, create=False)
    assert not path.exists() and not path.parent.exists()


@pytest.mark.parametrize("existing", [False, True])
def test_key_file_inside_a_git_tree_is_refused(clean_env, tmp_path, existing):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    path = repo / "config" / "pseudonym.key"
    if existing:
        write_key(path, "ab" * 32)
    with pytest.raises(PrivacyError, match="git working tree") as err:
        load_key(key_file=path)
    assert "Fix:" in str(err.value) and "outside the repository" in str(err.value)
    assert path.exists() == existing  # nothing was created


def test_default_key_refused_when_home_is_a_git_tree(clean_env):
    (clean_env / ".git").mkdir()  # e.g. a dotfiles repository
    with pytest.raises(PrivacyError, match="git working tree"):
        load_key()


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(clean_env, tmp_path, mode):
    path = write_key(tmp_path / "keys" / "k.key", "ab" * 32, mode=mode)
    with pytest.raises(PrivacyError, match="chmod 600") as err:
        load_key(key_file=path)
    assert "ab" * 32 not in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"), [("", "empty"), ("\n  \n", "empty"), ("abc", "too short")]
)
def test_empty_or_short_key_file_is_refused(clean_env, tmp_path, text, message):
    path = write_key(tmp_path / "keys" / "k.key", text)
    with pytest.raises(PrivacyError, match=message):
        load_key(key_file=path)


# --------------------------------------------------------------------------- suppression


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opd": ["a", "b", "c", "d", "e"],
            "year": [2024, 2024, 2024, 2025, 2025],
            "n": [0, 3, 9, 10, 42],
            "mean_score": [np.nan, 3.5, 4.1, 2.9, 3.3],
        }
    )


def test_suppression_blanks_small_cells_only(table):
    out = suppress_small_cells(table, count="n", min_cell=10, value_columns=["mean_score"])
    assert out["suppressed"].tolist() == [False, True, True, False, False]
    assert out["n"].isna().tolist() == [False, True, True, False, False]
    assert out["n"].dtype == "Int64"
    assert out["n"].tolist()[3:] == [10, 42] and out["n"].iloc[0] == 0
    assert out["mean_score"].isna().tolist() == [True, True, True, False, False]
    assert out["year"].tolist() == table["year"].tolist()  # not a value column
    assert out["opd"].tolist() == table["opd"].tolist()


def test_default_value_columns_are_all_numeric_columns(table):
    out = suppress_small_cells(table, count="n", min_cell=5)
    assert out["suppressed"].tolist() == [False, True, False, False, False]
    assert pd.isna(out.loc[1, "year"]) and pd.isna(out.loc[1, "mean_score"])
    assert out.loc[1, "opd"] == "b"


def test_suppression_does_not_mutate_input(table):
    before = table.copy()
    suppress_small_cells(table, count="n")
    pd.testing.assert_frame_equal(table, before)


def test_missing_count_is_left_alone_and_existing_flags_kept():
    t = pd.DataFrame(
        {"n": pd.array([None, 3, 50], dtype="Int64"), "suppressed": [False, False, True]}
    )
    out = suppress_small_cells(t, count="n")
    assert out["suppressed"].tolist() == [False, True, True]
    assert out["n"].isna().tolist() == [True, True, False]


@settings(max_examples=50, deadline=None)
@given(
    counts=st.lists(st.integers(0, 60), min_size=1, max_size=40),
    min_cell=st.integers(1, 20),
)
def test_suppression_never_publishes_a_cell_below_the_threshold(counts, min_cell):
    t = pd.DataFrame({"n": counts, "share": np.linspace(0, 1, len(counts))})
    out = suppress_small_cells(t, count="n", min_cell=min_cell)
    published = out["n"].dropna()
    assert ((published == 0) | (published >= min_cell)).all()
    assert out["share"].isna().equals(out["suppressed"])
    expected = [0 < c < min_cell for c in counts]
    assert out["suppressed"].tolist() == expected


def test_suppression_input_errors(table):
    with pytest.raises(InputError) as err:
        suppress_small_cells(table, count="respondents")
    assert err.value.column == "respondents" and "n" in err.value.fix
    with pytest.raises(InputError, match="not numeric"):
        suppress_small_cells(table, count="opd")
    with pytest.raises(InputError, match="negative"):
        suppress_small_cells(table.assign(n=[1, -2, 3, 4, 5]), count="n")
    with pytest.raises(InputError) as err:
        suppress_small_cells(table, count="n", value_columns=["mean", "mean_score"])
    assert err.value.column == "mean"
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ConfigError, match="min_cell"):
            suppress_small_cells(table, count="n", min_cell=bad)


GOLDEN = Path(__file__).parent / "reference" / "privacy" / "pseudonyms_golden.csv"
GOLDEN_KEYS = {"k_hex32": bytes(range(32)), "k_text": b"a synthetic test key, not a real one",
               "k_long": bytes(range(100))}  # see tests/reference/privacy/PROVENANCE.md


def test_pseudonyms_are_byte_identical_to_the_earlier_releases():
    """Waves ingested before and after the move to one portable code path still link."""
    golden = pd.read_csv(GOLDEN, dtype=str, keep_default_na=False)
    assert len(golden) > 100
    for (kname, kind), rows in golden.groupby(["key", "kind"]):
        key = PseudonymKey.from_secret(GOLDEN_KEYS[kname])
        got = pseudonymize(rows["value"].reset_index(drop=True), key, kind=kind)
        assert got.tolist() == rows["pseudonym"].tolist(), (kname, kind)


def test_pseudonyms_are_plain_stdlib_hmac_of_the_normalized_value():
    values = pd.Series([NIP, "19850312 201001 1 002", None, NIP] * 500)
    got = pseudonymize(values, PseudonymKey.from_secret(SECRET), kind="nip")
    want = "p_" + hmac.new(SECRET, b"nip:" + NIP.encode(), hashlib.sha256).hexdigest()[:24]
    assert set(got.dropna()) == {want} and got.isna().sum() == 500


def test_scientific_notation_message_counts_distinct_values():
    values = pd.Series(["1.98503122010031e+17"] * 3 + [NIP], name="nip", dtype="str")
    with pytest.raises(InputError) as err:
        pseudonymize(values, PseudonymKey.from_secret(SECRET), kind="nip")
    assert "1 distinct NIP values" in str(err.value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", None]), st.sampled_from([1, 2, None])),
                min_size=1, max_size=30))
def test_lines_group_rows_as_pandas_groupby_does(rows):
    from asn_research.privacy import _line_ids

    t = pd.DataFrame(rows, columns=["wave", "year"]).astype({"wave": "str", "year": "Int64"})
    for cols in (["wave"], ["year"], ["wave", "year"]):
        ours = _line_ids(t, cols)
        theirs = t.groupby(cols, sort=False, dropna=False).ngroup().to_numpy()
        # the same partition of the rows (the numbering may differ)
        assert (ours[:, None] == ours[None, :]).tolist() == (
            theirs[:, None] == theirs[None, :]).tolist(), cols


def test_blanking_keeps_every_dtype():
    t = pd.DataFrame({"n": [3, 20], "mean": [1.5, 2.5], "share": pd.array([0.1, 0.2], "Float64"),
                      "k": pd.array([1, 2], "Int16"), "ok": [True, False],
                      "when": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    out = suppress_small_cells(t, count="n", value_columns=["mean", "share", "k", "ok", "when"])
    expected = t.astype({"n": "Int64", "ok": "boolean"}).mask([[True] * 6, [False] * 6])
    expected["suppressed"] = [True, False]
    pd.testing.assert_frame_equal(out, expected)
