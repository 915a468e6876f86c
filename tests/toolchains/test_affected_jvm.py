"""Affected mode for Maven: modules from the poms, scoped with -pl ... -am (planning only:
Maven cannot fetch its plugins offline here, so the scoped command is not run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekit.toolchains import plan_affected

POM = '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>{}</project>'
PARENT = "<parent><groupId>ex</groupId><artifactId>parent</artifactId><version>1</version></parent>"


def module(artifact: str, *deps: str) -> str:
    dependencies = "".join(
        f"<dependency><groupId>ex</groupId><artifactId>{d}</artifactId></dependency>" for d in deps
    )
    return POM.format(
        f"{PARENT}<artifactId>{artifact}</artifactId><dependencies>{dependencies}</dependencies>"
    )


@pytest.fixture
def reactor(tmp_path: Path) -> Path:
    files = {
        "pom.xml": POM.format(
            "<groupId>ex</groupId><artifactId>parent</artifactId><packaging>pom</packaging>"
            "<modules><module>core</module><module>services</module><module>tools</module></modules>"
        ),
        "core/pom.xml": module("core"),
        "services/pom.xml": POM.format(
            f"{PARENT}<artifactId>services</artifactId><packaging>pom</packaging>"
            "<modules><module>api/pom.xml</module></modules>"
        ),
        "services/api/pom.xml": module("api", "core", "junit"),
        "tools/pom.xml": module("tools"),
        "core/src/main/java/ex/Core.java": "",
    }
    for relpath, content in files.items():
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relpath).write_text(content)
    return tmp_path


def test_change_in_core_module_builds_it_and_its_dependents(reactor: Path) -> None:
    plan = plan_affected(reactor, ["core/src/main/java/ex/Core.java"])
    assert (plan.whole, plan.packages) == (False, ("core", "api"))
    assert plan.reasons == ("module `core` changed; `api` depends on it",)
    assert [g.run for g in plan.gates] == [
        ("mvn", "-B", "-q", "-pl", "./core,./services/api", "-am", "verify")
    ]


def test_change_in_an_intermediate_parent_pom_builds_its_children(reactor: Path) -> None:
    (reactor / "services" / "api" / "pom.xml").write_text(
        module("api", "core").replace("<artifactId>parent</artifactId>", "<artifactId>services</artifactId>")
    )
    assert plan_affected(reactor, ["services/pom.xml"]).packages == ("services", "api")


def test_change_in_a_leaf_module_builds_only_it(reactor: Path) -> None:
    assert plan_affected(reactor, ["tools/README.md"]).packages == ("tools",)


def test_root_pom_change_runs_the_whole_build(reactor: Path) -> None:
    plan = plan_affected(reactor, ["pom.xml"])
    assert plan.whole is True
    assert [g.run for g in plan.gates] == [("mvn", "-B", "-q", "verify")]


def test_unparseable_module_pom_falls_back_naming_it(reactor: Path) -> None:
    (reactor / "tools" / "pom.xml").write_text("<project>")
    plan = plan_affected(reactor, ["core/src/main/java/ex/Core.java"])
    assert plan.whole is True
    assert plan.reasons[0].startswith("`tools/pom.xml` cannot be read")
