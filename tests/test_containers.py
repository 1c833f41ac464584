"""Cgroup paths and the containers and units they name, on the path shapes engines and systemd write."""

from __future__ import annotations

import os

import pytest

from perftop.probes.containers import (
    Container,
    ProcessCgroups,
    container_of,
    parse_pid_cgroup,
    process_container,
)

ID = "3f2a9c1b7d8e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a"
POD = "0c5b1e2a-7d4f-4e8a-9b3c-1d2e3f4a5b6c"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # Docker, cgroupfs driver and systemd driver.
        (f"/docker/{ID}", Container("docker", ID[:12])),
        (f"/system.slice/docker-{ID}.scope", Container("docker", ID[:12])),
        # containerd under Kubernetes, systemd driver.
        (
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
            f"{POD.replace('-', '_')}.slice/cri-containerd-{ID}.scope",
            Container("containerd", ID[:12]),
        ),
        # A pod's container in the cgroupfs layout, and the pod itself.
        (f"/kubepods/burstable/pod{POD}/{ID}", Container("kubernetes", ID[:12])),
        (f"/kubepods/besteffort/pod{POD}", Container("kubernetes", POD)),
        (f"/kubepods.slice/kubepods-pod{POD.replace('-', '_')}.slice", Container("kubernetes", POD)),
        # CRI-O, its container and its monitor.
        (f"/kubepods.slice/kubepods-besteffort.slice/x.slice/crio-{ID}.scope", Container("cri-o", ID[:12])),
        (f"/machine.slice/crio-conmon-{ID}.scope", Container("cri-o", ID[:12])),
        # Podman: root (machine.slice), rootless (a user's slice) and cgroupfs.
        (f"/machine.slice/libpod-{ID}.scope", Container("podman", ID[:12])),
        (
            f"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope/container",
            Container("podman", ID[:12]),
        ),
        (f"/libpod_parent/libpod-{ID}", Container("podman", ID[:12])),
        # LXC: before 4.0 and after (payload and monitor).
        ("/lxc/web01", Container("lxc", "web01")),
        ("/lxc.payload.web01/system.slice/nginx.service", Container("lxc", "web01")),
        ("/lxc.payload.web01", Container("lxc", "web01")),
        # systemd system and user units, sessions.
        ("/system.slice/nginx.service", Container("systemd", "nginx.service")),
        ("/user.slice/user-1000.slice/session-3.scope", Container("systemd", "session-3.scope")),
        (
            "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope",
            Container("systemd", "app-gnome-firefox-4242.scope"),
        ),
        ("/init.scope", Container("systemd", "init.scope")),
        # Nothing to name.
        ("/", None),
        ("/process_api/3c4984eb8c3e4bae9abdb9fbc6b4cfdd", None),
        ("/user.slice", None),
        ("/docker", None),
        ("/docker/not-an-id", None),
    ],
)
def test_container_of_names_the_engine_and_the_container(path: str, expected: Container | None) -> None:
    assert container_of(path) == expected


def test_the_innermost_container_wins() -> None:
    inner = f"/docker/{ID}/docker/{'b' * 64}"
    assert container_of(inner) == Container("docker", "b" * 12)


def test_parse_pid_cgroup_of_a_hybrid_hierarchy() -> None:
    text = (
        "12:cpu,cpuacct:/system.slice/cron.service\n"
        "4:memory:/system.slice/cron.service\n"
        "1:name=systemd:/system.slice/cron.service\n"
        "0::/\n"
    )
    groups = parse_pid_cgroup(text)
    assert groups == ProcessCgroups(
        "/",
        {
            "cpu": "/system.slice/cron.service",
            "cpuacct": "/system.slice/cron.service",
            "memory": "/system.slice/cron.service",
            "name=systemd": "/system.slice/cron.service",
        },
    )
    assert groups.path == "/system.slice/cron.service"
    assert process_container(groups) == Container("systemd", "cron.service")


def test_parse_pid_cgroup_of_v2_only_and_of_garbage() -> None:
    groups = parse_pid_cgroup(f"0::/system.slice/docker-{ID}.scope\n")
    assert groups is not None and groups.path == f"/system.slice/docker-{ID}.scope" and groups.v1 == {}
    assert process_container(groups) == Container("docker", ID[:12])
    assert parse_pid_cgroup("") is None
    assert parse_pid_cgroup("garbage\n1:cpu\nx:cpu:/a\n0::relative\n") is None
    # A truncated last line is skipped, the good ones kept.
    assert parse_pid_cgroup("0::/a.service\n3:memory:/b").v2 == "/a.service"  # type: ignore[union-attr]


def test_a_container_in_a_v1_tree_wins_over_a_unit_in_the_v2_one() -> None:
    groups = parse_pid_cgroup(f"0::/system.slice/containerd.service\n4:memory:/docker/{ID}\n")
    assert groups is not None and process_container(groups) == Container("docker", ID[:12])


def test_this_process_cgroup_parses() -> None:
    with open(f"/proc/{os.getpid()}/cgroup", encoding="utf-8") as f:
        groups = parse_pid_cgroup(f.read())
    assert groups is not None and (groups.v2 is not None or groups.v1)
