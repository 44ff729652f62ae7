"""Generate the gorod_protos package from protos/ into build/gorod_protos (make proto).

The generated code is never committed; `make setup` installs the package built here.
"""
from __future__ import annotations

import pathlib
import shutil
import sys

import grpc_tools
from grpc_tools import protoc

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "build" / "gorod_protos"

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "gorod-protos"
version = "0.1.0"
description = "Generated protobuf and gRPC code for Gorod (built by make proto)"
requires-python = ">=3.11"
dependencies = ["protobuf==7.36.2", "grpcio==1.85.3"]

[tool.setuptools.packages.find]
include = ["gorod*"]
"""


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    code = protoc.main(
        ["protoc", f"-I{PROTOS}", f"-I{well_known}", f"--python_out={OUT}",
         f"--pyi_out={OUT}", f"--grpc_python_out={OUT}", *files]
    )
    if code != 0:
        print("protoc failed", file=sys.stderr)
        return code
    for directory in [OUT / "gorod", *(p for p in (OUT / "gorod").rglob("*") if p.is_dir())]:
        (directory / "__init__.py").touch()
    (OUT / "pyproject.toml").write_text(PYPROJECT)
    print(f"generated {len(files)} proto files into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
