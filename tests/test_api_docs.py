"""/docs works offline: the page and its Swagger UI assets come from this server."""

import re


def test_docs_page_loads_only_local_assets(api):
    r = api.client.get("/docs")
    assert r.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", r.text)
    assert urls, "the docs page should reference its script and stylesheet"
    assert all(u.startswith("/") for u in urls), urls
    for u in urls:
        asset = api.client.get(u)
        assert asset.status_code == 200, u
        assert asset.content, u
        if u.endswith((".js", ".css")):
            assert len(asset.content) > 10_000, u
    assert "/openapi.json" in r.text
