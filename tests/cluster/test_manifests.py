"""Reading manifests as `kubectl apply -f` does, and what hostile input cannot do to it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kubectl_pullsecret.cluster.manifests import MAX_DOCUMENT_BYTES, read_manifests
from kubectl_pullsecret.errors import CommandError


def read(data: bytes | str) -> list[tuple[str, str | None, str]]:
    raw = data.encode() if isinstance(data, str) else data
    return [
        (d.source, (d.obj or {}).get("kind"), d.warning)
        for d in read_manifests(["-"], False, io.BytesIO(raw))
    ]


POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: i}]}\n"


def test_multi_document_yaml_with_separators_comments_and_end_markers() -> None:
    # What `helm template` prints: `---` then `# Source:` before each template.
    data = f"---\n# Source: chart/templates/pod.yaml\n{POD}---\n# Source: chart/templates/empty.yaml\n...\n---\n{POD}"
    assert read(data) == [
        ("standard input (document 2)", "Pod", ""),
        ("standard input (document 5)", "Pod", ""),
    ]


def test_json_objects_streams_and_lists() -> None:
    pod = json.loads(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}))
    stream = json.dumps(pod) + "\n" + json.dumps({**pod, "kind": "Secret"})
    assert [k for _, k, _ in read(stream)] == ["Pod", "Secret"]
    listed = json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod, pod]})
    assert read(listed) == [
        ("standard input item 1", "Pod", ""),
        ("standard input item 2", "Pod", ""),
    ]
    typed_list = {
        "apiVersion": "apps/v1",
        "kind": "DeploymentList",
        "items": [{**pod, "kind": "Deployment"}],
    }
    assert [k for _, k, _ in read(json.dumps(typed_list))] == ["Deployment"]


@pytest.mark.parametrize(
    ("data", "warning"),
    [
        ("a: [1, 2\n", "not YAML"),
        ("{not json", "not JSON"),
        ("- just\n- a list\n", "a list, not a Kubernetes object"),
        ("kind: Pod\n", "not a Kubernetes object (no apiVersion and kind)"),
        ("apiVersion: v1\nkind: [Pod]\n", "not a Kubernetes object"),
        ("\x00\x01binary", "not YAML"),
    ],
)
def test_bad_documents_are_per_document_warnings(data: str, warning: str) -> None:
    ((source, kind, said),) = read(data)
    assert source == "standard input" and kind is None and warning in said


def test_a_yaml_bomb_is_refused_without_expanding_it() -> None:
    lines = ["lol0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    bomb = "apiVersion: v1\nkind: ConfigMap\n" + "\n".join(lines) + "\n"
    ((_, kind, warning),) = read(bomb + f"---\n{POD}")[:1]
    assert kind is None and "YAML bomb" in warning
    assert read(bomb + f"---\n{POD}")[1][1] == "Pod"
    # A document that contains itself is no better.
    ((_, kind, warning),) = read("apiVersion: v1\nkind: ConfigMap\nloop: &a [*a]\n")
    assert kind is None and "YAML bomb" in warning


def test_folders_as_kubectl_reads_them(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(POD)
    (tmp_path / "notes.txt").write_text("ignored: not a manifest extension")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.json").write_text(json.dumps({"apiVersion": "v1", "kind": "Secret"}))
    flat = [d.source for d in read_manifests([str(tmp_path)], False, io.BytesIO())]
    deep = [d.source for d in read_manifests([str(tmp_path)], True, io.BytesIO())]
    assert flat == [str(tmp_path / "a.yaml")]
    assert deep == [str(tmp_path / "a.yaml"), str(tmp_path / "sub" / "b.json")]


def test_missing_paths_and_urls_are_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match="no such file or folder"):
        list(read_manifests([str(tmp_path / "nope.yaml")], False, io.BytesIO()))
    with pytest.raises(CommandError, match="URLs are not read"):
        list(read_manifests(["https://example.com/x.yaml"], False, io.BytesIO()))
    with pytest.raises(CommandError, match=r"-R reads its subfolders"):
        list(read_manifests([str(tmp_path / "empty")], False, io.BytesIO()))


def test_fifty_megabytes_stay_within_bounded_memory(tmp_path: Path) -> None:
    """A 50 MB document is refused unread; 50 MB of documents are read one at a time. Both in a
    child process limited to 400 MiB of address space."""
    one = tmp_path / "one.yaml"
    with one.open("w") as fh:
        fh.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge}\ndata:\n")
        line = "  k{:07d}: " + "x" * 90 + "\n"
        for i in range(500_000):
            fh.write(line.format(i))
    many = tmp_path / "many.yaml"
    config_map = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\ndata: {k: '"
        + "y" * 1_000_000
        + "'}\n"
    )
    with many.open("w") as fh:
        for i in range(50):
            fh.write("---\n" + config_map.replace("%d", str(i)))
    assert one.stat().st_size > 50_000_000 and many.stat().st_size > 50_000_000
    script = textwrap.dedent(
        """
        import io, resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (400 << 20, 400 << 20))
        from kubectl_pullsecret.cluster.manifests import read_manifests
        for path in sys.argv[1:]:
            docs = list(read_manifests([path], False, io.BytesIO()))
            print(len(docs), sum(d.obj is not None for d in docs), docs[0].warning[:40])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(one), str(many)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    first, second = result.stdout.splitlines()
    assert first == f"1 0 larger than {MAX_DOCUMENT_BYTES >> 20} MiB, more than the API ser"
    assert second.startswith("50 50 ")
