"""/docs and /redoc load with no outside host (issue 22: Swagger UI came from a CDN, blank on
an offline or segmented network): every asset they name is served by the API itself."""

from __future__ import annotations

import re

import pytest

ASSET = re.compile(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_name_no_outside_host_and_their_assets_are_served(client, page):
    r = await client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    # and a browser may load nothing from elsewhere (ReDoc's bundle names its vendor's logo;
    # tests/platform/test_docs_browser.py shows the browser then asks no outside host)
    assert r.headers["content-security-policy"].startswith("default-src 'self';")
    html = r.text
    outside = [u for u in re.findall(r"https?://[^\s'\"<>)]+", html)]
    assert outside == [], outside
    assets = [a for a in ASSET.findall(html) if a.startswith("/")]
    assert any(a.endswith(".js") for a in assets), assets
    for asset in assets:
        got = await client.get(asset)
        assert got.status_code == 200, asset
        assert len(got.content) > 100, asset
