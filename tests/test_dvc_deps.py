"""dvc.yaml declares exactly what each stage's code reads: no stale results, no needless reruns.

For every stage DVC resolves (foreach and matrix expanded), the stage script's imports are
followed inside src/ecgcnn/ (lazy imports in functions too, and the package files a module
names, like mitdb_sha256.txt), and the params it reads are found in its source: subscripts
of what `load_params` returns, plus `protocols.<name>.<group>` for each group a protocol may
override when it loads a protocol's params. A module or params key the code reads and
dvc.yaml does not declare is stale results waiting to happen; one declared and never read
reruns the stage for nothing.
"""

import ast
import fnmatch
import shlex
from pathlib import Path

import pytest
import yaml
from dvc.repo import Repo

from ecgcnn.params import PROTOCOL_GROUPS, merged

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ecgcnn"


def imported_modules(source):
    """Names of the ecgcnn modules a file imports, anywhere in it."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and module.split(".")[0] != "ecgcnn":
                continue
            inside = module.removeprefix("ecgcnn").lstrip(".") if node.level == 0 else module
            if inside:
                out.add(inside.split(".")[0])
            else:  # from ecgcnn import plots / from . import x
                out.update(a.name for a in node.names if (SRC / f"{a.name}.py").exists())
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("ecgcnn."))
    return out


def package_files(source):
    """Non-Python files of the package a module names (read with importlib.resources): by a
    string, or by an f-string that ends in a fixed file extension and whose fixed parts
    match (f"{database}_sha256.txt": every database's sums; not f"{kind}_{stat}")."""
    tree = ast.parse(source)
    names = {n.value for n in ast.walk(tree)
             if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    patterns = {"*".join(v.value if isinstance(v, ast.Constant) else "" for v in n.values)
                for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)}
    return {p for p in SRC.iterdir() if p.is_file() and p.suffix != ".py" and (
        p.name in names or any(suffix_named(pat) and fnmatch.fnmatch(p.name, pat)
                               for pat in patterns))}


def suffix_named(pattern):
    """An f-string naming files by a fixed ending with an extension (`{x}_sha256.txt`), not
    any text with a dot in it (`{a}.{b}`)."""
    tail = pattern.rsplit("*", 1)[-1]
    return "*" in pattern and "." in tail and len(tail) > 4


def code_deps(script):
    """Repository paths of the stage script and of everything of src/ecgcnn it runs.

    __init__.py is left out: it holds only the version (a test below keeps it so).
    """
    files, todo, seen = {script}, [script], set()
    while todo:
        source = todo.pop().read_text()
        files |= package_files(source)
        for name in imported_modules(source) - seen:
            seen.add(name)
            path = SRC / f"{name}.py"
            assert path.exists(), f"{name}: not a module of src/ecgcnn"
            files.add(path)
            todo.append(path)
    return {str(p.relative_to(ROOT)) for p in files}


def subscript_path(node):
    """(root node, [constant keys]) of a chain like params["cv"]["folds"]."""
    keys = []
    while isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        keys.insert(0, node.slice.value)
        node = node.value
    return node, keys


def is_load_params(node):
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "load_params"


def params_read(source, args):
    """{dotted params key: protocol or None} a stage script reads.

    A protocol given as a variable is the stage's first command-line argument (`args[0]`).
    """
    tree = ast.parse(source)
    loads = {}  # variable name -> protocol of the load_params call assigned to it
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and is_load_params(node.value):
            loads[node.targets[0].id] = protocol_of(node.value, args)
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
    reads, used = {}, set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Subscript) or id(node) in inner:
            continue
        root, keys = subscript_path(node)
        if is_load_params(root):
            reads[".".join(keys)] = protocol_of(root, args)
        elif getattr(root, "id", None) in loads:
            reads[".".join(keys)] = loads[root.id]
            used.add(id(root))
    for node in ast.walk(tree):  # a params dict passed on whole would hide what is read
        if isinstance(node, ast.Name) and node.id in loads and isinstance(node.ctx, ast.Load):
            assert id(node) in used, f"params passed on whole at line {node.lineno}"
    return reads


def protocol_of(call, args):
    value = next((k.value for k in call.keywords if k.arg == "protocol"),
                 call.args[1] if len(call.args) > 1 else None)
    if value is None:
        return None
    return value.value if isinstance(value, ast.Constant) else args[0]


def needed_params(reads):
    out = set(reads)
    for key, protocol in reads.items():
        group = key.split(".")[0]
        if protocol is not None and group in PROTOCOL_GROUPS:
            out.add(f"protocols.{protocol}.{group}")
    return out


def covers(declared, key):
    return key == declared or key.startswith(declared + ".")


def problems(script, args, files, params):
    """What dvc.yaml gets wrong about one resolved stage, in words."""
    out = []
    want_files = code_deps(ROOT / script)
    code = {f for f in files if f.startswith(("src/", "stages/"))}
    out += [f"reads {f}, not declared in deps" for f in sorted(want_files - code)]
    out += [f"declares {f} in deps, never imports it" for f in sorted(code - want_files)]
    want = needed_params(params_read((ROOT / script).read_text(), args))
    out += [f"reads params {k}, not declared" for k in sorted(want)
            if not any(covers(d, k) for d in params)]
    for d in sorted(params):
        if not any(covers(d, k) or covers(k, d) for k in want):
            out.append(f"declares params {d}, never reads it")
        elif not any(covers(k, d) for k in want):
            out.append(f"declares params {d}, reads only "
                       f"{', '.join(sorted(k for k in want if covers(d, k)))}")
    return out


def resolved_stages():
    """(name, script, args, file deps, params deps) of every stage DVC builds from dvc.yaml."""
    out = []
    with Repo(str(ROOT)) as repo:
        for stage in repo.index.stages:
            words = shlex.split(stage.cmd)
            i = next(i for i, w in enumerate(words) if w.startswith("stages/"))
            files = [d.def_path for d in stage.deps if not hasattr(d, "params")]
            params = [p for d in stage.deps if hasattr(d, "params") for p in d.params]
            out.append((stage.name, words[i], words[i + 1:], files, params))
    return out


STAGES = resolved_stages()


@pytest.mark.parametrize("stage", STAGES, ids=[s[0] for s in STAGES])
def test_dvc_yaml_declares_what_each_stage_reads_and_nothing_else(stage):
    name, script, args, files, params = stage
    assert problems(script, args, files, params) == [], name


# Every declared dependency of every dvc.yaml stage (its first foreach/matrix entry), taken out
# one at a time: the check must notice each.
FIRSTS = list({s[0].split("@")[0]: s for s in reversed(STAGES)}.values())
REMOVALS = [(s, dep) for s in FIRSTS
            for dep in [f for f in s[3] if f.startswith(("src/", "stages/"))] + s[4]]


@pytest.mark.parametrize(("stage", "dep"), REMOVALS, ids=[f"{s[0]}-{d}" for s, d in REMOVALS])
def test_removing_any_declared_dependency_is_caught(stage, dep):
    name, script, args, files, params = stage
    found = problems(script, args, [f for f in files if f != dep], [p for p in params if p != dep])
    assert any(dep in p for p in found), (name, dep, found)


def test_a_module_declared_but_not_imported_is_caught():
    name, script, args, files, params = next(s for s in STAGES if s[0] == "download@mitdb")
    assert problems(script, args, [*files, "src/ecgcnn/model.py"], params) == [
        "declares src/ecgcnn/model.py in deps, never imports it"]


def test_the_split_stage_does_not_depend_on_training_params():
    for name, _, _, _, params in STAGES:
        if name.startswith("split@"):
            assert not any(p.startswith(("train", "model")) or ".train" in p or ".model" in p
                           for p in params), (name, params)


def test_the_cv_matrix_has_one_entry_per_fold_of_each_protocols_params():
    dvc_yaml = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    matrix = dvc_yaml["stages"]["cv"]["matrix"]
    for protocol in matrix["protocol"]:
        folds = merged(params, protocol)["cv"]["folds"]
        assert matrix["fold"] == list(range(len(folds))), protocol
    assert set(matrix["protocol"]) == set(dvc_yaml["stages"]["cv_report"]["foreach"])


def test_extract_depends_on_every_extracted_database_only():
    dvc_yaml = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    databases = yaml.safe_load((ROOT / "params.yaml").read_text())["databases"]
    raw = {d for d in dvc_yaml["stages"]["extract"]["deps"] if d.startswith("data/raw/")}
    assert raw == {f"data/raw/{name}" for name, db in databases.items() if db["extract"]}
    assert not all(db["extract"] for db in databases.values())  # nstdb: downloaded only


def test_package_init_holds_only_the_version():
    tree = ast.parse((SRC / "__init__.py").read_text())
    assert all(isinstance(n, ast.Expr | ast.Assign) for n in tree.body)
    assert not imported_modules((SRC / "__init__.py").read_text())
