"""Safe reading of input files: regular files only, a byte cap, and the containment root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiwell.errors import ParseError
from aiwell.loaders.files import containment_root, read_file_bytes, read_file_text, repository_root, within


def test_reads_a_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b"\xef\xbb\xbf{}")
    assert read_file_text(path) == "{}"


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "main.tf"
    os.mkfifo(fifo)
    with pytest.raises(ParseError, match="named pipe"):
        read_file_bytes(fifo)


def test_a_device_is_refused_even_through_a_link(tmp_path: Path) -> None:
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(ParseError, match="device"):
        read_file_bytes(link)


def test_the_cap_counts_bytes_read_not_the_reported_size(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"x" * 101)
    assert read_file_bytes(path, limit=101) == b"x" * 101
    with pytest.raises(ParseError, match="over the 100 bytes limit"):
        read_file_bytes(path, limit=100)


def test_a_symlink_loop_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    with pytest.raises(ParseError, match="cannot read file"):
        read_file_bytes(tmp_path / "a.json")
    assert not within(tmp_path / "a.json", tmp_path)


def test_binary_and_non_utf8_text_are_refused(tmp_path: Path) -> None:
    (tmp_path / "bin").write_bytes(b"ab\x00cd")
    (tmp_path / "latin").write_bytes(b"line\ncaf\xe9")
    with pytest.raises(ParseError, match="binary"):
        read_file_text(tmp_path / "bin")
    with pytest.raises(ParseError, match="not UTF-8") as caught:
        read_file_text(tmp_path / "latin")
    assert caught.value.line == 2


def test_containment_is_the_repository_then_the_current_directory_then_the_folder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra" / "modules").mkdir(parents=True)
    main = repo / "infra" / "main.bicep"
    main.write_text("", encoding="utf-8")
    assert repository_root(main) == repo.resolve()
    assert containment_root(main) == repo.resolve()
    assert containment_root(repo / "infra") == repo.resolve()

    loose = tmp_path / "loose" / "deep"
    loose.mkdir(parents=True)
    assert containment_root(loose, cwd=tmp_path / "loose") == (tmp_path / "loose").resolve()
    assert containment_root(loose, cwd=repo) == loose.resolve()
    file = loose / "x.json"
    file.write_text("{}", encoding="utf-8")
    assert containment_root(file, cwd=repo) == loose.resolve()


def test_within_follows_links_out_of_the_tree(tmp_path: Path) -> None:
    inside = tmp_path / "tree"
    inside.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("s3cret", encoding="utf-8")
    (inside / "link.json").symlink_to(outside)
    assert within(inside, inside)
    assert not within(inside / "link.json", inside)
    assert not within(inside / ".." / "secret.txt", inside)
