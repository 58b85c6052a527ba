"""The access helpers against a live lkm server (see conftest.py) that checks tokens: who the
caller is, tokens for another principal, grants, refusals and the audit log."""

from __future__ import annotations

import datetime
import uuid
from typing import Iterator

import grpc
import pytest

import lkm_client
from lkm_client import LkmClient, pb


@pytest.fixture
def auth_on(token: str | None) -> None:
    if not token:
        pytest.skip("the server hands out no token (authentication off)")


@pytest.fixture
def idle_cluster(lkm: LkmClient, template: str) -> Iterator[pb.Cluster]:
    """A cluster that is defined but not started (enough for access checks, and quick)."""
    cluster = lkm.create_cluster(f"lkmtest-py-acl-{uuid.uuid4().hex[:6]}", template, start=False)
    yield cluster
    try:
        lkm.delete_cluster(cluster.id, force=True)
    except lkm_client.LkmError:
        pass


def test_whoami_is_the_admin(lkm: LkmClient, auth_on: None) -> None:
    me = lkm.whoami()
    assert me.authentication
    assert me.principal == "admin"
    assert any(g.role == "admin" for g in me.grants)
    assert me.token.principal == "admin"


def test_token_grant_audit_and_revoke(server: str, lkm: LkmClient, idle_cluster: pb.Cluster, auth_on: None) -> None:
    principal = f"lkmtest-py-{uuid.uuid4().hex[:6]}"
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    token, secret = lkm.create_token("ci", principal=principal, ttl=datetime.timedelta(hours=1))
    assert token.principal == principal and token.name == "ci"
    assert secret and secret != token.id
    assert token.HasField("expires_at")
    assert 3500 < token.expires_at.seconds - token.created_at.seconds <= 3600
    short, _ = lkm.create_token("short", principal=principal, ttl=90)  # seconds
    assert 89 <= short.expires_at.seconds - short.created_at.seconds <= 90
    assert {token.id, short.id} <= {t.id for t in lkm.list_tokens(principal)}
    lkm.revoke_token(short.id)
    assert lkm.list_grants(principal) == []

    cluster = idle_cluster.name
    with lkm_client.connect(server, token=secret) as user:
        me = user.whoami()
        assert me.principal == principal and me.token.id == token.id

        # A cluster it may not view does not exist for it; one it may view it may not delete.
        with pytest.raises(lkm_client.LkmError) as err:
            user.delete_cluster(cluster)
        assert err.value.code == grpc.StatusCode.NOT_FOUND
        viewer = lkm.grant(principal, role="viewer", cluster_ids=[idle_cluster.id])
        assert viewer.id and viewer.role == "viewer"
        assert list(viewer.clusters.cluster_ids) == [idle_cluster.id]
        assert user.check_access(cluster, "view")
        assert not user.check_access(cluster, "configure")
        assert [(c.name, list(c.actions)) for c in user.my_clusters()] == [(cluster, ["view", "topics.read"])]
        with pytest.raises(lkm_client.LkmError) as err:
            user.delete_cluster(cluster)
        assert err.value.code == grpc.StatusCode.PERMISSION_DENIED, err.value

        # The refusal is in the audit log, under the principal and the cluster.
        denied = lkm.audit_events(principal=principal, since=started)
        assert denied, "no audit event for the refused calls"
        assert all(e.principal == principal for e in denied)
        refused = [e for e in denied if e.method == "lkm.v1.ClusterService/DeleteCluster" and e.outcome == "PERMISSION_DENIED"]
        assert refused and idle_cluster.id in refused[0].cluster_ids
        assert refused[0].id in [e.id for e in lkm.audit_events(cluster=cluster, principal=principal)]
        assert len(lkm.audit_events(limit=2)) == 2  # one page of two, newest first
        with pytest.raises(lkm_client.LkmError) as err:
            user.audit_events()  # admin only
        assert err.value.code == grpc.StatusCode.PERMISSION_DENIED

        # Granted what deleting takes, it may.
        editor = lkm.grant(principal, actions=["configure"], name_pattern="lkmtest-py-acl-*")
        assert {g.id for g in lkm.list_grants(principal)} == {viewer.id, editor.id}
        assert lkm.check_access(cluster, "configure", principal=principal)
        lkm.revoke_grant(principal, viewer.id)
        assert [g.id for g in user.list_grants()] == [editor.id]  # its own grants
        user.delete_cluster(cluster)
        assert cluster not in [c.name for c in lkm.list_clusters()]

        # Revoked, the token is refused from the next call on.
        lkm.revoke_token(token.id)
        with pytest.raises(lkm_client.LkmError) as err:
            user.whoami()
        assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
    (listed,) = [t for t in lkm.list_tokens(principal) if t.id == token.id]
    assert listed.HasField("revoked_at")
