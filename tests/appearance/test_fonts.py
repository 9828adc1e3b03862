"""Finding the seal face, and the errors when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from esign.appearance import ENV_VAR, FontRef, GlyphMissingError, SealSpec, find_seal_font, seal_artwork
from esign.appearance.fonts import DEFAULT_FONT_CANDIDATES, glyph
from esign.errors import ConfigError, InputError


def test_default_font_is_a_simplified_chinese_serif(font: FontRef) -> None:
    assert "Serif" in font.name or "Ming" in font.name or "Song" in font.name or "Sun" in font.name
    assert font.path.partition("#")[0] in {c.partition("#")[0] for c in DEFAULT_FONT_CANDIDATES}
    g = glyph(font, "章")
    assert g.advance == g.units_per_em  # a full-width ideograph
    assert any(op == "c" for op, _ in g.path)


def test_env_var_selects_face_by_name_or_index(font: FontRef) -> None:
    by_name = find_seal_font(environ={ENV_VAR: f"{font.path}#{font.name}"})
    assert by_name.index == font.index
    by_index = find_seal_font(environ={ENV_VAR: f"{font.path}#{font.index}"})
    assert by_index == by_name


def test_env_var_pointing_nowhere_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        find_seal_font(environ={ENV_VAR: str(tmp_path / "missing.ttc")})
    assert info.value.code == "seal_font_missing"


def test_unknown_face_name_is_a_config_error(font: FontRef) -> None:
    with pytest.raises(ConfigError):
        find_seal_font(environ={ENV_VAR: f"{font.path}#No Such Face"})


def test_font_without_chinese_is_refused() -> None:
    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    if not Path(dejavu).is_file():
        pytest.skip("fonts-dejavu-core is not installed")
    with pytest.raises(ConfigError) as info:
        find_seal_font(environ={ENV_VAR: dejavu})
    assert info.value.code == "seal_font_unsuitable"


def test_no_font_anywhere_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        find_seal_font(environ={}, candidates=[str(tmp_path / "nothing.ttc#Noto Serif CJK SC")])
    assert info.value.code == "seal_font_missing"
    assert "apt-get install fonts-noto-cjk" in info.value.message_en
    assert "fonts-noto-cjk" in info.value.message_zh
    assert info.value.http_status == 503


def test_rendering_without_font_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone.otf"))
    with pytest.raises(ConfigError):
        seal_artwork(SealSpec(name="蒲县古县乡人民政府", title="行政审批服务专用章"))


def test_character_missing_from_the_font(font: FontRef) -> None:
    with pytest.raises(GlyphMissingError) as info:
        seal_artwork(SealSpec(name="蒲县\U00012000人民政府"), font=font)
    assert isinstance(info.value, InputError)
    assert info.value.code == "seal_glyph_missing"
