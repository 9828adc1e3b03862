"""What a visitor meets first: the landing page, the favicon, the API docs without a CDN, each
role's menu, times in the configured zone, and ``esign serve`` on a busy port."""

from __future__ import annotations

import datetime as dt
import io
import re
import socket
import subprocess
import sys

import pytest
from PIL import Image

from esign.errors import EsignError
from esign.localtime import local_text, zone_label
from esign.registry import Actor, authorize
from esign.registry.accounts import Role
from service.web import MENUS

ROLE_USER = {
    Role.REFORM_ADMIN: "县审批局管理员",
    Role.DEPARTMENT: "县民政局查看人",
    Role.CUSTODIAN: "克城镇保管人",
    Role.APPROVER: "克城镇批准人",
    Role.CLERK: "克城镇窗口",
}


def test_the_root_is_a_page_that_leads_to_verify_status_and_sign_in(demo):
    response = demo.client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    links = set(re.findall(r'href="([^"]+)"', response.text))
    assert {"/verify", "/status", "/admin/login", "/docs", "/favicon.ico"} <= links
    assert "蒲县" in response.text and "电子印章" in response.text
    # the public pages carry the sign-in link too
    for path in ("/verify", "/status"):
        assert 'href="/admin/login"' in demo.client.get(path).text


def test_the_favicon_is_an_icon():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from service.routes.home import router

    app = FastAPI()
    app.include_router(router)
    response = TestClient(app).get("/favicon.ico")
    assert response.status_code == 200 and response.headers["content-type"] == "image/x-icon"
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO" and icon.size[0] >= 16


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_load_their_assets_from_the_service_itself(demo, path):
    html = demo.client.get(path).text
    urls = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: ?'([^']+)'", html)
    assert urls, html
    assert not [u for u in urls if u.startswith(("http:", "https:", "//"))], urls
    assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html
    scripts = [u for u in urls if u.endswith(".js")]
    assert scripts
    for url in scripts:
        got = demo.client.get(url)
        assert got.status_code == 200 and len(got.content) > 100_000, url
    assert demo.client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("role", list(Role))
def test_each_menu_entry_is_a_page_its_role_may_use(demo, role):
    actor = Actor(person_id=1, name="x", role=role, township_id=1, department="蒲县民政局")
    assert MENUS[role]
    for href, _label, permission in MENUS[role]:
        authorize(actor, permission)  # raises if the menu led to a refusal
        response = demo.client.get(href, headers=demo.headers(ROLE_USER[role]), follow_redirects=False)
        assert response.status_code == 200, (role, href, response.status_code)
        assert "无权" not in response.text, (role, href)


def test_menus_show_only_the_pages_of_the_role(demo):
    html = demo.client.get("/desk/new", headers=demo.headers("克城镇窗口")).text
    nav = html[html.index("<nav>") : html.index("</nav>")]
    assert 'href="/desk/new"' in nav
    for other in ("/admin/seals", "/admin/townships", "/oversight/dashboard", "/oversight/register"):
        assert f'href="{other}"' not in nav, other


def test_a_refusal_names_what_was_refused_not_a_permission_code():
    actor = Actor(person_id=1, name="x", role=Role.DEPARTMENT, department="蒲县民政局")
    from esign.registry import Permission

    with pytest.raises(EsignError) as caught:
        authorize(actor, Permission.SEAL_VIEW)
    assert "查看印章" in caught.value.message_zh and "seal.view" not in caught.value.message_zh
    assert "seal.view" in caught.value.message_en


def test_local_text_is_beijing_time_by_default_and_follows_the_zone_setting():
    at = dt.datetime(2026, 12, 6, 22, 19, 10, tzinfo=dt.UTC)
    assert local_text(at) == "2026-12-07 06:19"
    assert local_text(at.replace(tzinfo=None), seconds=True) == "2026-12-07 06:19:10"  # naive = UTC (SQLite)
    assert local_text(at, "Europe/Berlin") == "2026-12-06 23:19"
    assert zone_label("Asia/Shanghai") == "北京时间" and zone_label("Europe/Berlin") == "Europe/Berlin"


def test_pages_show_times_in_beijing_time(demo):
    admin = demo.headers("县审批局管理员")
    seals = demo.client.get("/admin/seals", headers=admin).text
    status = demo.client.get("/status", params={"seal": "克城镇"}).text
    for html in (seals, status):
        assert "北京时间" in html and "UTC" not in html
    # the seal became active "now": its time on the page is the Beijing wall clock, not UTC's
    now_bj = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    shown = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", status)
    assert shown and abs(dt.datetime.strptime(shown[0], "%Y-%m-%d %H:%M") - now_bj.replace(tzinfo=None)) < dt.timedelta(
        minutes=30
    )


def test_serve_on_a_busy_port_says_so_in_one_sentence(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "esign", "serve", "--home", str(tmp_path), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
        )
    assert done.returncode != 0
    assert f"端口 {port} 已被占用" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout and "Errno" not in done.stderr
    assert "serving on" not in done.stdout
