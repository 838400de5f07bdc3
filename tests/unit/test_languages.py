"""Which language a request is answered in."""

from __future__ import annotations

import pytest

from jxc.config import preferred_locale


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("en-US,en;q=0.9", "en"),
        ("en;q=0.1, zh-CN;q=0.9", "zh_CN"),
        ("fr-FR, en;q=0.5", "en"),
        ("zh-CN;q=0, en", "en"),
        ("de, fr", "zh_CN"),
        ("", "zh_CN"),
        ("en;q=abc, zh-CN;q=0.5", "zh_CN"),
    ],
)
def test_the_most_wanted_language_jxc_speaks_is_chosen(header, chosen):
    assert preferred_locale(header.split(",")) == chosen


def test_a_language_chosen_on_the_page_comes_before_the_browsers():
    assert preferred_locale(["en", "zh-CN", "zh;q=0.9"]) == "en"
