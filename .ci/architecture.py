#!/usr/bin/env python3
"""The shape of health-core/src that reviews cannot keep by eye.

- No import circle between the files of `http/` (a file's imports are its
  `use` items and the paths in its code, comments left out; a name the
  module re-exports counts as an import of the file that defines it).
- No transport imports another: nothing in `http/` names `crate::grpc` or
  `crate::metrics`, nothing in `grpc/` names `crate::http`.
- The crate root holds at most eight files beside its folders.

Exits non-zero, saying what is wrong, when one of them does not hold.
"""
import os
import re
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "health-core", "src")


def code_of(path):
    """The file without its comment lines."""
    with open(path) as file:
        return "\n".join(line for line in file.read().split("\n") if not line.strip().startswith("//"))


def module_path(relative):
    parts = relative[:-3].split("/")
    return parts[:-1] if parts[-1] == "mod" else parts


def import_graph(root):
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(directory, name)
                files[os.path.relpath(path, root)] = code_of(path)
    modules = {tuple(module_path(relative)): relative for relative in files}
    # Names each mod.rs re-exports: (module, name) -> the module defining it.
    reexports = {}
    for relative, code in files.items():
        if not relative.endswith("mod.rs"):
            continue
        base = module_path(relative)
        for match in re.finditer(r"pub(?:\([a-z: ]+\))? use (?:self::)?([a-z_:]+)::(\{[^}]*\}|[A-Za-z_0-9]+);", code):
            source = match.group(1).split("::")
            if source[0] in ("crate", "super"):
                continue
            for name in match.group(2).strip("{}").split(","):
                name = name.strip().split(" as ")[-1].strip()
                if name:
                    reexports[(tuple(base), name)] = tuple(base + source)

    def file_of(path):
        for length in range(len(path), -1, -1):
            prefix = tuple(path[:length])
            if prefix in modules or length == 0:
                if length < len(path) and (prefix, path[length]) in reexports:
                    defining = reexports[(prefix, path[length])]
                    for inner in range(len(defining), 0, -1):
                        if tuple(defining[:inner]) in modules:
                            return modules[tuple(defining[:inner])]
                if prefix in modules:
                    return modules[prefix]
        return None

    edges = {relative: set() for relative in files}
    for relative, code in files.items():
        here = module_path(relative)
        for match in re.finditer(r"((?:crate::http|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)(::\{[^;]*\})?", code):
            base, group = match.group(1), match.group(2)
            paths = [base + "::" + item.strip().split(" as ")[0] for item in group[3:-1].split(",") if item.strip()] if group else [base]
            for text in paths:
                segments = text.split("::")
                if segments[0] == "crate":
                    path = segments[2:]
                else:
                    path = list(here)
                    while segments and segments[0] in ("super", "self"):
                        if segments[0] == "super":
                            path = path[:-1]
                        segments = segments[1:]
                    path += segments
                target = file_of(path)
                if target and target != relative:
                    edges[relative].add(target)
    return edges


def circles(edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in edges[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def main():
    problems = []
    edges = import_graph(os.path.join(SRC, "http"))
    for circle in circles(edges):
        lines = ", ".join(f"{file} -> {sorted(edges[file] & set(circle))}" for file in circle)
        problems.append(f"import circle in http/: {lines}")
    for transport, others in (("http", ("crate::grpc", "crate::metrics")), ("grpc", ("crate::http",))):
        for directory, _, names in os.walk(os.path.join(SRC, transport)):
            for name in names:
                if name.endswith(".rs"):
                    path = os.path.join(directory, name)
                    for other in others:
                        if other in code_of(path):
                            problems.append(f"{os.path.relpath(path, SRC)} imports another transport: {other}")
    root_files = [name for name in os.listdir(SRC) if name.endswith(".rs")]
    if len(root_files) > 8:
        problems.append(f"the crate root holds {len(root_files)} files: {sorted(root_files)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"http/: {len(edges)} files, no import circle; no transport imports another; {len(root_files)} files at the crate root")


if __name__ == "__main__":
    main()
