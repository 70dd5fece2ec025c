"""Users, secrets and names shared by the --verify tests (see conftest.py for the servers)."""

from __future__ import annotations

from kubectl_pullsecret.kubelet.keyring import Credential
from tests.support.registries import User

# Distinctive secrets, so a leak is found by plain substring search.
PUSHER = ("pusher", "Pusher-pw-7c1e0d")
ALICE = ("alice", "Alice-pw-93d2ab")  # may pull team/app
BOB = ("bob", "Bob-pw-5a07cc")  # valid, but no pull right on team/app
WRONG = "Wrong-pw-e4f1b9"
PRIVATE = "team/app"
PUBLIC = "public/base"  # anyone may pull it (token auth)
TAG = "v1"


USERS = {
    PUSHER[0]: User(PUSHER[1], {"*": frozenset({"pull", "push"})}),
    ALICE[0]: User(ALICE[1], {PRIVATE: frozenset({"pull"})}),
    BOB[0]: User(BOB[1]),
}


def cred(
    user: str, password: str, source: str = "secret/regcred", key: str = "registry"
) -> Credential:
    return Credential(source=source, key=key, written_key=key, username=user, password=password)
