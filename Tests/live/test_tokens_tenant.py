"""Regression tests for two bugs found while fuzzing POST /v1/tokens (see test_schemathesis.py)."""

from __future__ import annotations

import pytest

from conftest import verify_data_dir


@pytest.mark.parametrize("tenant", ["", "Bad Name", "UPPER", "x" * 64])
def test_invalid_tenant_in_token_request_is_a_400(servers, tmp_path, tenant):
    srv = servers(tmp_path / "data")
    s = srv.session()
    r = s.post(srv.base + "/v1/tokens", json={"name": "t1", "role": "ingest", "tenant": tenant}, timeout=10)
    assert r.status_code == 400, f"{r.status_code} {r.headers.get('content-type')} {r.text[:300]!r}"
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(p["pointer"] == "/tenant" for p in problem.get("problems", [])), problem


def test_tenant_query_parameter_of_post_tokens_is_honoured(servers, tmp_path, attest_bin):
    """OpenAPI and API.md: a super_admin acts on another tenant with ?tenant=ID, POST /v1/tokens included."""
    srv = servers(tmp_path / "data")
    s = srv.session()
    assert s.post(srv.base + "/v1/tenants", json={"id": "acme"}, timeout=10).status_code == 201
    r = s.post(srv.base + "/v1/tokens?tenant=acme", json={"name": "ci", "role": "ingest"}, timeout=10)
    assert r.status_code in (201, 400), r.text
    if r.status_code == 201:
        assert r.json()["tenant"] == "acme", f"?tenant=acme was ignored: the token was made in {r.json()['tenant']}"
        listed = s.get(srv.base + "/v1/tokens?tenant=acme", timeout=10).json()["tokens"]
        assert "ci" in [t["name"] for t in listed]
    srv.stop()
    verify_data_dir(attest_bin, srv.data_dir)
