"""Options shared by several commands, declared once: -n/--namespace, --context,
--flavor, and shell completion of task ids and component names."""

from __future__ import annotations

import os

import click

from emb.config import load


def flavor_option(func):
    return click.option("--flavor", metavar="NAME", help="Same as `emb --flavor NAME`.")(func)


def namespace_option(help: str = "Kubernetes namespace."):
    return click.option("-n", "--namespace", metavar="NS", help=help)


def context_option(help: str = "kubeconfig context."):
    return click.option("--context", "kube_context", metavar="NAME", help=help)


def kube_options(func):
    """-n/--namespace, --context, --flavor on a `emb kubernetes` sub-command."""
    func = flavor_option(func)
    func = context_option("kubeconfig context (default: config, then kubectl's current).")(func)
    func = namespace_option("Namespace (default: K8S_NAMESPACE, then config, then kubectl's own).")(func)
    return func


def _completion_monorepo(ctx: click.Context):
    root = ctx.find_root().params
    return load(root=root.get("root"), flavor=ctx.params.get("flavor") or root.get("flavor"))


def complete_task(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """Task ids and names for shell completion (errors mean: no suggestions)."""
    try:
        from click.shell_completion import CompletionItem

        monorepo = _completion_monorepo(ctx)
        words: dict[str, str] = {}
        for task in monorepo.tasks.values():
            words.setdefault(task.id, task.description or "")
            words.setdefault(task.name, task.description or "")
        # bash splits words at ':' (COMP_WORDBREAKS): `api:mi` arrives as
        # `api`, `:`, `mi`, and only the text after the break may be returned.
        typed = list(ctx.params.get("tasks") or ())
        head = ""
        if os.environ.get("_EMB_COMPLETE", "").startswith("bash"):
            if incomplete.startswith(":") and typed:
                head = typed[-1]
            elif len(typed) >= 2 and typed[-1] == ":":
                head = typed[-2] + ":"
        full = head + incomplete
        return [
            CompletionItem(word[len(head):], help=help_text)
            for word, help_text in words.items()
            if word.startswith(full)
        ]
    except Exception:  # completion must never print a traceback into the shell
        return []


def complete_component(ctx: click.Context, param, incomplete: str) -> list:
    try:
        return [name for name in _completion_monorepo(ctx).components if name.startswith(incomplete)]
    except Exception:  # completion must never print a traceback into the shell
        return []


def flavored(func):
    """`--flavor NAME` on a sub-command (EMB 0.30 has it on up, down, ps, images...): the same as
    `emb --flavor NAME`. Put it above @pass_globals; the command never sees the option."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, flavor=None, **kwargs):
        if flavor:
            from emb.cli.common import Globals

            g = click.get_current_context().find_object(Globals)
            if g is not None:
                g.flavor = flavor
        return func(*args, **kwargs)

    return flavor_option(wrapper)
