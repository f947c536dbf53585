"""The image's promises, read from the Dockerfile (no Docker engine here; hadolint runs in CI)."""

from __future__ import annotations

from pathlib import Path

DOCKERFILE = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()


def _final_stage() -> list[str]:
    lines = [line.strip() for line in DOCKERFILE.splitlines()]
    start = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    return lines[start:]


def test_the_image_is_built_in_two_stages_on_a_slim_base() -> None:
    stages = [line for line in DOCKERFILE.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2
    assert all("-slim" in stage for stage in stages)


def test_the_runtime_stage_has_no_build_tools_and_does_not_run_as_root() -> None:
    final = "\n".join(_final_stage())
    assert "USER 10001:10001" in final
    assert "pip uninstall --yes pip setuptools wheel" in final
    for tool in ("gcc", "build-essential", "apt-get install", "COPY . "):
        assert tool not in final


def test_health_is_checked_through_the_grpc_health_service_and_migrate_is_a_command() -> None:
    final = "\n".join(_final_stage())
    assert 'CMD ["authtuna-grpc", "health"]' in final
    assert 'ENTRYPOINT ["authtuna-grpc"]' in final
    assert "EXPOSE 50051 9464" in final
    assert "AUTHTUNA_METRICS_LISTEN=0.0.0.0:9464" in final
