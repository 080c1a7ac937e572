"""An entity in two roles of one view: `repo_and_forks` holds a repository (`forked: false`)
and the repositories forked from it (`forked: true`, read by their `parent_owner` and
`parent_name`); `thread` holds a thread's pinned posts and its replies, told apart by `kind`.
Each role is a key of its own in the view's GSI, sparse by the role's `where`, so an item has
one key there and sits in exactly one field. Checked against an oracle over the written
items, through creates, updates that move an item from one role to the other, and deletes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from dynamodel.compiler.pipeline import compile_spec
from tests.test_bounded_views import read_all_pages
from tests.test_repository_oracle import fresh_repository, spec_package
from tests.test_requests_match_design import Recorder

SPEC = """\
version: 1
table: {name: Hub}
entities:
  Repo:
    id: [owner, name]
    attributes:
      owner: str
      name: str
      forked: {type: bool, default: false}
      parent_owner: "str?"
      parent_name: "str?"
      stars: {type: int, default: 0}
  Post:
    id: [thread_id, post_id]
    attributes:
      thread_id: str
      post_id: str
      kind: {type: str, enum: [pinned, reply]}
      posted_at: datetime
access_patterns:
  get_repo: {entity: Repo, by: [owner, name]}
  repos_of_owner: {entity: Repo, by: [owner], sort: stars}
  repo_and_forks:
    view:
      repo: {entity: Repo, where: {forked: false}}
      forks: {entity: [Repo], by: [parent_owner, parent_name], where: {forked: true}}
    by: [owner, name]
    limit: 3
  thread:
    view:
      pinned: {entity: [Post], where: {kind: pinned}}
      replies: {entity: [Post], where: {kind: reply}}
    by: [thread_id]
    sort: posted_at
    order: desc
"""

START = datetime(2026, 5, 1, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return spec_package(tmp_path_factory, "hub_roles", SPEC)


def test_each_role_is_a_sparse_key_of_its_own_in_one_gsi() -> None:
    compilation = compile_spec(SPEC)
    design = compilation.design
    assert design is not None and not compilation.diagnostics, compilation.rendered()
    repo = design.entity("Repo")
    roles = {k.slot: k for k in repo.keys if k.slot}
    assert set(roles) == {"Repo@repo_and_forks.repo", "Repo@repo_and_forks.forks"}
    assert {k.index for k in roles.values()} == {"GSI1"}
    assert roles["Repo@repo_and_forks.repo"].where == (("forked", False),)
    assert roles["Repo@repo_and_forks.forks"].partition.render() == (
        "Repo#{parent_owner}#{parent_name}"
    )
    # The entity's own patterns never share a role's key: repos_of_owner has a key of its own.
    assert repo.key_on("GSI1") is None
    assert design.pattern("repos_of_owner").index != "GSI1"
    plan = design.pattern("repo_and_forks")
    assert plan.index == "GSI1" and plan.by == ("owner", "name")
    assert any("roles" in note for note in plan.notes)


@pytest.mark.backends("moto", "ministack")  # moto_server runs moto's engine again
@pytest.mark.parametrize("seed", range(3))
def test_roles_read_like_the_oracle_through_moves_and_deletes(
    hub: ModuleType, dynamodb_client: Any, table_name: str, seed: int
) -> None:
    recorder = Recorder(dynamodb_client)
    repo = fresh_repository(hub, recorder, table_name)
    rng = random.Random(seed)
    owners = ["ann", "bob", "cy"]
    repos: dict[tuple[str, str], Any] = {}
    for number in range(14):
        owner, name = rng.choice(owners), f"r{number:02d}"
        parents = [key for key, r in repos.items() if not r.forked]
        if parents and rng.random() < 0.6:
            parent = rng.choice(parents)
            item = hub.Repo(
                owner=owner, name=name, forked=True, parent_owner=parent[0], parent_name=parent[1]
            )
        else:
            item = hub.Repo(owner=owner, name=name)
        repo.create_repo(item)
        repos[owner, name] = item

    def check() -> None:
        for (owner, name), stored in sorted(repos.items()):
            forks = sorted(
                (
                    r
                    for r in repos.values()
                    if r.forked and (r.parent_owner, r.parent_name) == (owner, name)
                ),
                key=lambda r: (r.owner, r.name),
            )
            pages = read_all_pages(
                repo.repo_and_forks, recorder, rng.choice([None, 1, 3]), owner=owner, name=name
            )
            assert pages[0].repo == (None if stored.forked else stored)
            assert [f for page in pages for f in page.forks] == forks

    check()
    # Move items between the roles: a fork becomes a repository of its own and back.
    for key in rng.sample(sorted(repos), 5):
        stored = repos[key]
        if stored.forked:
            changed = repo.update_repo(
                owner=key[0], name=key[1], forked=False, parent_owner=None, parent_name=None
            )
        else:
            target = rng.choice([k for k in repos if k != key and not repos[k].forked] or [key])
            if target == key:
                continue
            changed = repo.update_repo(
                owner=key[0],
                name=key[1],
                forked=True,
                parent_owner=target[0],
                parent_name=target[1],
            )
        repos[key] = changed
    check()
    for key in rng.sample(sorted(repos), 4):
        repo.delete_repo(owner=key[0], name=key[1])
        del repos[key]
    check()


@pytest.mark.backends("moto", "ministack")
def test_two_list_roles_of_one_entity(
    hub: ModuleType, dynamodb_client: Any, table_name: str
) -> None:
    repo = fresh_repository(hub, dynamodb_client, table_name)
    rng = random.Random(7)
    posts = []
    for number in range(30):
        post = hub.Post(
            thread_id=rng.choice(["t1", "t2"]),
            post_id=f"p{number:02d}",
            kind=rng.choice(["pinned", "reply"]),
            posted_at=START + timedelta(minutes=rng.randrange(60)),
        )
        repo.create_post(post)
        posts.append(post)
    for thread_id in ("t1", "t2", "t3"):
        view = repo.thread(thread_id=thread_id)
        for field, kind in (("pinned", "pinned"), ("replies", "reply")):
            expected = sorted(
                (p for p in posts if p.thread_id == thread_id and p.kind == kind),
                key=lambda p: (p.posted_at, p.post_id),
                reverse=True,
            )
            assert getattr(view, field) == expected, (thread_id, field)
