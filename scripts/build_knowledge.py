"""Build graph_magic/knowledge/data/ from Microsoft's own Graph metadata (CSDL + permissions map).

The knowledge package ships a compact index generated from the MIT-licensed files in
``../shared/graph-metadata`` (see its README for their origin): one gzipped JSON file per CSDL
(``schema-<file stem>.json.gz``), one for the permissions map (``permissions.json.gz``), each
CSDL itself, gzipped (``<file stem>.csdl.gz``, the sandbox's ``$metadata``), and the
two licence files copied beside them. Nothing in the index is typed by hand.

To regenerate from newer copies, fetch ``schemas/v1.0-{Prod,Fairfax,Mooncake}.csdl`` from
microsoftgraph/msgraph-metadata and ``permissions/new/permissions.json`` from
microsoftgraph/microsoft-graph-devx-content into one folder, then run::

    python scripts/build_knowledge.py --source FOLDER

and commit the files it writes. The output is deterministic (sorted keys, gzip without a time
stamp), so an unchanged input gives byte-identical files and ``tests/knowledge`` notices a
stale index.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from graph_magic.knowledge.paths import template_key  # noqa: E402

DEFAULT_SOURCE = REPO.parent / "shared" / "graph-metadata"
DEFAULT_OUT = REPO / "graph_magic" / "knowledge" / "data"
CSDL_FILES = ("v1.0-Prod.csdl", "v1.0-Fairfax.csdl", "v1.0-Mooncake.csdl")
DOCUMENTS = CSDL_FILES
"""The CSDL shipped whole (gzipped), for the sandbox's ``$metadata``: each cloud's, since the
sandbox stands in for any of them (about 330 kB each)."""
LICENCES = ("LICENSE-msgraph-metadata", "LICENSE-microsoft-graph-devx-content")
FORMAT = 1
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
SCHEMES = ("DelegatedWork", "DelegatedPersonal", "Application")


def _tag(element: ET.Element) -> str:
    return element.tag.removeprefix(EDM)


class _Names:
    """Turns ``graph.user`` / ``Collection(self.alert)`` into a qualified name and a flag."""

    def __init__(self, root: ET.Element) -> None:
        self.aliases = {
            schema.get("Alias", ""): schema.get("Namespace", "")
            for schema in root.iter(f"{EDM}Schema")
            if schema.get("Alias")
        }

    def qualify(self, ref: str) -> tuple[str, bool]:
        collection = ref.startswith("Collection(") and ref.endswith(")")
        if collection:
            ref = ref[len("Collection(") : -1]
        prefix, _, name = ref.rpartition(".")
        return f"{self.aliases.get(prefix, prefix)}.{name}", collection


def _structured(element: ET.Element, names: _Names) -> dict[str, object]:
    """An entity or complex type: its base, flags, key, properties and navigation."""
    entry: dict[str, object] = {"kind": "entity" if _tag(element) == "EntityType" else "complex"}
    if element.get("BaseType"):
        entry["base"] = names.qualify(element.get("BaseType", ""))[0]
    for attribute, flag in (
        ("Abstract", "abstract"),
        ("OpenType", "open"),
        ("HasStream", "stream"),
    ):
        if element.get(attribute) == "true":
            entry[flag] = 1
    keys = [ref.get("Name", "") for ref in element.iter(f"{EDM}PropertyRef")]
    if keys:
        entry["key"] = keys
    properties, navigation = [], []
    for child in element:
        if _tag(child) == "Property":
            target, many = names.qualify(child.get("Type", ""))
            properties.append([child.get("Name"), target, int(many)])
        elif _tag(child) == "NavigationProperty":
            target, many = names.qualify(child.get("Type", ""))
            contains = int(child.get("ContainsTarget") == "true")
            navigation.append([child.get("Name"), target, int(many), contains])
    if properties:
        entry["properties"] = properties
    if navigation:
        entry["navigation"] = navigation
    return entry


@dataclass
class _Bound:
    """A bound operation's overloads, merged: one return type, one parameter list each."""

    returns: str | None
    many: int
    params: list[list[str]] = field(default_factory=list)


def _operations(schema: ET.Element, names: _Names) -> dict[str, list[list[object]]]:
    """Bound functions and actions per binding type; overloads merged into parameter lists."""
    merged: dict[tuple[str, str, str, int], _Bound] = {}
    for element in schema:
        kind = _tag(element)
        if kind not in ("Function", "Action") or element.get("IsBound") != "true":
            continue
        parameters = element.findall(f"{EDM}Parameter")
        binding, many = names.qualify(parameters[0].get("Type", ""))
        returned = element.find(f"{EDM}ReturnType")
        result, result_many = ("", False)
        if returned is not None:
            result, result_many = names.qualify(returned.get("Type", ""))
        key = (binding, element.get("Name", ""), kind.lower(), int(many))
        entry = merged.setdefault(key, _Bound(result or None, int(result_many)))
        params = [parameter.get("Name", "") for parameter in parameters[1:]]
        if params not in entry.params:
            entry.params.append(params)
    grouped: dict[str, list[list[object]]] = {}
    for (binding, name, kind, many), entry in sorted(merged.items()):
        row = [name, kind, many, entry.returns, entry.many, sorted(entry.params)]
        grouped.setdefault(binding, []).append(row)
    return grouped


def _container(root: ET.Element, names: _Names) -> dict[str, list[object]]:
    roots: dict[str, list[object]] = {}
    for element in root.iter(f"{EDM}EntitySet"):
        roots[element.get("Name", "")] = [names.qualify(element.get("EntityType", ""))[0], 1]
    for element in root.iter(f"{EDM}Singleton"):
        roots[element.get("Name", "")] = [names.qualify(element.get("Type", ""))[0], 0]
    return roots


def build_schema(path: Path) -> dict[str, object]:
    """The index of one CSDL file: roots, types (with their bound operations) and enums."""
    root = ET.parse(path).getroot()
    names = _Names(root)
    types: dict[str, dict[str, object]] = {}
    enums: dict[str, dict[str, object]] = {}
    for schema in root.iter(f"{EDM}Schema"):
        namespace = schema.get("Namespace", "")
        for element in schema:
            qualified = f"{namespace}.{element.get('Name')}"
            if _tag(element) in ("EntityType", "ComplexType"):
                types[qualified] = _structured(element, names)
            elif _tag(element) == "EnumType":
                members = [member.get("Name") for member in element.iter(f"{EDM}Member")]
                enums[qualified] = {
                    "members": members,
                    "flags": int(element.get("IsFlags") == "true"),
                }
        for binding, rows in _operations(schema, names).items():
            target = types.setdefault(binding, {"kind": "other"})
            cast(list[list[object]], target.setdefault("operations", [])).extend(rows)
    return {
        "format": FORMAT,
        "source": _source(path),
        "roots": _container(root, names),
        "types": types,
        "enums": enums,
    }


def _source(path: Path) -> dict[str, str]:
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _least_schemes(value: str) -> tuple[set[str], list[str]]:
    """``least=A,B;AlsoRequires=X,Y`` -> ({A, B}, [X, Y])."""
    least: set[str] = set()
    also: list[str] = []
    for part in value.split(";"):
        marker, _, listed = part.partition("=")
        items = [item.strip() for item in listed.split(",") if item.strip()]
        if marker.strip() == "least":
            least.update(items)
        elif marker.strip() == "AlsoRequires":
            also.extend(items)
    return least, also


def _grants(
    permissions: dict[str, Any],
) -> Iterable[tuple[str, str, str, str, bool, int, list[str]]]:
    """(template, method, permission, scheme, least, methods in its path set, also-requires)."""
    for name, permission in permissions.items():
        for path_set in permission.get("pathSets", []):
            methods = path_set["methods"]
            for path, value in path_set["paths"].items():
                if "?" in path:  # a grant for one query only: never widen it to the bare path
                    continue
                least, also = _least_schemes(value)
                template = "/".join(template_key(path))
                for method in methods:
                    for scheme in path_set["schemeKeys"]:
                        yield (
                            template,
                            method.upper(),
                            name,
                            scheme,
                            scheme in least,
                            len(methods),
                            also,
                        )


def build_permissions(path: Path) -> dict[str, object]:
    """The index of the permissions map: per template and method, who allows it, least first.

    Permissions are numbered (``names`` lists them) and each method's grants are one string,
    ``least;others`` per scheme in ``schemes`` order (``3,7;12;;;3;12,40``), which keeps the
    file, its load time and its memory small.

    Several permissions can be marked least for one path (the mark belongs to a path set that
    may list several methods); they are ordered by their privilege level, then by how few
    methods their path set covers, then by name, so the first is the one to ask for.
    """
    permissions = json.loads(path.read_text(encoding="utf-8"))["permissions"]
    levels = {
        name: {scheme: info.get("privilegeLevel", 0) for scheme, info in entry["schemes"].items()}
        for name, entry in permissions.items()
    }
    table: dict[str, dict[str, dict[str, dict[str, tuple[bool, int]]]]] = {}
    also_requires: dict[str, list[str]] = {}
    for template, method, name, scheme, least, width, also in _grants(permissions):
        slot = table.setdefault(template, {}).setdefault(method, {}).setdefault(scheme, {})
        was_least, was_width = slot.get(name, (False, 99))
        slot[name] = (was_least or least, min(was_width, width))
        if also:
            also_requires[f"{method} {template} {name} {scheme}"] = sorted(set(also))
    names = sorted(permissions)
    number = {name: index for index, name in enumerate(names)}
    paths: dict[str, dict[str, str]] = {}
    for template, methods in table.items():
        for method, schemes in methods.items():
            paths.setdefault(template, {})[method] = ";".join(
                ",".join(str(number[name]) for name in bucket)
                for scheme in SCHEMES
                for bucket in _ordered(schemes.get(scheme, {}), levels, scheme)
            )
    return {
        "format": FORMAT,
        "source": _source(path),
        "schemes": list(SCHEMES),
        "names": names,
        "paths": paths,
        "also_requires": also_requires,
    }


def _ordered(
    grants: dict[str, tuple[bool, int]], levels: dict[str, dict[str, int]], scheme: str
) -> tuple[list[str], list[str]]:
    def rank(name: str) -> tuple[int, int, str]:
        return levels.get(name, {}).get(scheme, 0), grants[name][1], name

    least = sorted((name for name, (is_least, _) in grants.items() if is_least), key=rank)
    others = sorted((name for name, (is_least, _) in grants.items() if not is_least), key=rank)
    return least, others


def _write(data: dict[str, object], target: Path) -> int:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _gzip(text.encode("utf-8"), target)


def _gzip(raw_bytes: bytes, target: Path) -> int:
    """Write ``raw_bytes`` gzipped without a time stamp or name, so a rebuild is byte-identical."""
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out,
    ):
        out.write(raw_bytes)
    return target.stat().st_size


def build(source: Path, out: Path) -> dict[str, int]:
    """Write every index file and the licences into ``out``; return each file's size."""
    out.mkdir(parents=True, exist_ok=True)
    sizes: dict[str, int] = {}
    for name in CSDL_FILES:
        target = out / f"schema-{Path(name).stem}.json.gz"
        sizes[target.name] = _write(build_schema(source / name), target)
    for name in DOCUMENTS:
        sizes[f"{name}.gz"] = _gzip((source / name).read_bytes(), out / f"{name}.gz")
    sizes["permissions.json.gz"] = _write(
        build_permissions(source / "permissions.json"), out / "permissions.json.gz"
    )
    for licence in LICENCES:
        shutil.copyfile(source / licence, out / licence)
        sizes[licence] = (out / licence).stat().st_size
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_SOURCE, help="folder with the metadata"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="folder to write the index to"
    )
    args = parser.parse_args(argv)
    sizes = build(args.source, args.out)
    for name, size in sizes.items():
        print(f"{name:45} {size:>10,} bytes")
    print(f"{'total':45} {sum(sizes.values()):>10,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
