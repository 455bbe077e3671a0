"""The operations guide documents every environment variable the code reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_READ = re.compile(
    r"""(?:env_(?:str|bool|int|list)\(|os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def variables_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "src" / "frontline").rglob("*.py"):
        if "tests" in path.parts or path.name == "settings_test.py":
            continue
        names.update(ENV_READ.findall(path.read_text(encoding="utf-8")))
    return names


def test_every_environment_variable_is_in_the_operations_guide():
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", guide, flags=re.MULTILINE))

    read = variables_read_by_the_code()

    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TASKS_BACKEND"} <= read
    assert sorted(read - documented) == []
