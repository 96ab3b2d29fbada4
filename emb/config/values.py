"""Values expanded when they are used, not when the file is loaded (SPEC §1).

`emb.config.load()` expands only what loading needs (the `env:` block,
`project`, `kubernetes` settings, plugin config, flavor patch values that land
elsewhere). The rest stays as written in the Monorepo and is expanded here, by
whoever uses it, with the expander the load kept (`Monorepo.expander`):

    resolve_task(monorepo, task)        -> the Task with vars, script and confirm expanded
    resource_params(monorepo, resource) -> the resource's params, expanded
    docker_defaults(monorepo)           -> `defaults.docker`, expanded
    expand_value(monorepo, value, path) -> any other value of the document (path: its place in it)
    display_document(monorepo)          -> the document for `emb config print`

An unset variable is then an error naming the variable, the task (or the
value) and the file, raised only for the value that needs it: `emb tasks`
and the other tasks never see it.
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any, Callable

from emb.config.expand import Expander
from emb.config.secrets import script_secrets
from emb.config.where import config_error
from emb.model import Confirm, Monorepo, Resource, Task


def task_path(task: Task) -> tuple:
    """Where a task is in the merged document."""
    if task.component is None:
        return ("tasks", task.name)
    return ("components", task.component, "tasks", task.name)


def _expander(monorepo: Monorepo) -> Expander | None:
    return monorepo.expander


def resolve_task(monorepo: Monorepo, task: Task) -> Task:
    """The task as it runs: `vars` (against the environment and the project vars),
    then `confirm` (against the task's expanded vars, then the project vars) and
    the script (only `${source:...}` references; the shell's own syntax untouched)."""
    expander = _expander(monorepo)
    if expander is None:
        return task
    path = task_path(task)
    subject = f"task {task.id}"
    task_vars = {name: expander.string(value, path + ("vars", name), subject=subject)
                 for name, value in task.vars.items()}
    confirm = task.confirm
    if confirm is not None:
        dollar = ChainMap(task_vars, expander.environ)  # `$NAME` in a message: the task's var, else the env
        options = dict(variables=task_vars, dollar=dollar, subject=subject)
        confirm = Confirm(
            expander.string(confirm.message, path + ("confirm", "message"), **options),
            None if confirm.expect is None else expander.string(confirm.expect, path + ("confirm", "expect"),
                                                                 **options),
        )
    script = task.script
    if script is not None:
        # A secret in a script becomes a variable of its environment, never text on a command line.
        script, secret_vars = script_secrets(expander, script, path + ("script",), subject)
        task_vars = {**task_vars, **secret_vars}
    return task._replace(vars=task_vars, confirm=confirm, script=script)


def resource_params(monorepo: Monorepo, resource: Resource) -> dict:
    """A resource's `params` with every string expanded."""
    params = dict(resource.params)
    expander = _expander(monorepo)
    if expander is None:
        return params
    path = ("components", resource.component, "resources", resource.name, "params")
    return expander.tree(params, path, subject=f"resource {resource.id}")


def docker_defaults(monorepo: Monorepo) -> dict:
    """`defaults.docker` with every string expanded ({} when absent)."""
    return expand_value(monorepo, dict(monorepo.defaults.get("docker") or {}), ("defaults", "docker"))


def expand_value(monorepo: Monorepo, value: Any, path: tuple, subject: str = "") -> Any:
    """Any value of the merged document (a rebuild trigger's paths...), expanded."""
    expander = _expander(monorepo)
    if expander is None:
        return value
    return expander.tree(value, tuple(path), subject=subject)


# -- which parts of the document are expanded where -------------------------------------------------

_TASK_LAZY = ("vars", "script", "confirm")


def expanded_elsewhere(path: tuple) -> bool:
    """Whether the value at `path` of the merged document is expanded by the loader
    or at use (so a flavor patch value landing there must not be expanded twice)."""
    n = len(path)
    if n >= 1 and path[0] in ("env", "vars", "project", "kubernetes", "defaults"):
        return True
    if n >= 3 and path[0] == "tasks" and path[2] in _TASK_LAZY:
        return True
    if n >= 3 and path[0] == "components" and path[2] == "kubernetes":
        return True
    if n >= 5 and path[0] == "components" and path[2] == "tasks" and path[4] in _TASK_LAZY:
        return True
    if n >= 5 and path[0] == "components" and path[2] == "resources" and path[4] == "params":
        return True
    return False


def expand_patch_value(expander: Expander) -> Callable[..., Any]:
    """For emb.config.flavors: a patch value is expanded where it lands, unless
    that place is expanded anyway (then it is left for that expansion). Errors
    name the patch in the file that declares it."""

    def expand(value: Any, landing: tuple, file, file_path: tuple) -> Any:
        def error(path, message, hints=()):
            return config_error(file, file_path + tuple(path[len(landing):]), message, hints)

        here = Expander(expander.environ, expander.raw_vars, error, expander.sources)

        def walk(item: Any, path: tuple) -> Any:
            if expanded_elsewhere(path):
                return item
            if isinstance(item, str):
                return here.string(item, path)
            if isinstance(item, dict):
                return {k: walk(v, path + (k,)) for k, v in item.items()}
            if isinstance(item, list):
                return [walk(v, path + (i,)) for i, v in enumerate(item)]
            return item

        return walk(value, tuple(landing))

    return expand


def display_document(monorepo: Monorepo) -> dict:
    """The resolved document for `emb config print`: the values expanded at use are
    expanded too, but what cannot be resolved (an unset variable, a secret) stays as
    written, so printing never fails and never reads a secret."""
    doc = dict(monorepo.resolved)
    expander = _expander(monorepo)
    if expander is None:
        return doc

    def show(value: Any, path: tuple, **options) -> Any:
        return expander.tree(value, path, display=True, **options)

    def tasks(block: Any, prefix: tuple) -> Any:
        if not isinstance(block, dict):
            return block
        out = {}
        for name, spec in block.items():
            if isinstance(spec, dict):
                spec = dict(spec)
                here = prefix + (name,)
                for key in ("vars", "confirm"):
                    if key in spec:
                        spec[key] = show(spec[key], here + (key,))
                if isinstance(spec.get("script"), str):
                    spec["script"] = show(spec["script"], here + ("script",), script=True)
            out[name] = spec
        return out

    if "vars" in doc:
        doc["vars"] = expander.variables(display=True)
    if isinstance(doc.get("defaults"), dict):
        doc["defaults"] = {k: (v if k == "kubernetes" else show(v, ("defaults", k)))
                           for k, v in doc["defaults"].items()}
    if "tasks" in doc:
        doc["tasks"] = tasks(doc["tasks"], ("tasks",))
    if isinstance(doc.get("components"), dict):
        components = {}
        for cname, comp in doc["components"].items():
            if isinstance(comp, dict):
                comp = dict(comp)
                if "tasks" in comp:
                    comp["tasks"] = tasks(comp["tasks"], ("components", cname, "tasks"))
                if isinstance(comp.get("resources"), dict):
                    comp["resources"] = {
                        rname: ({**r, "params": show(r["params"], ("components", cname, "resources", rname, "params"))}
                                if isinstance(r, dict) and "params" in r else r)
                        for rname, r in comp["resources"].items()}
            components[cname] = comp
        doc["components"] = components
    return doc
