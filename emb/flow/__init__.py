"""The flows the commands run, between parsing options (emb.cli) and the parts
that know the tools (executors, kube, docker, process).

- tasks.py    `emb run`: plan, choose executors, confirm, run, retry, report
- report.py   emb's own lines about a run (text or JSON Lines) and --dry-run plans
- confirm.py  `confirm:` prompts
- shell.py    interactive shell sessions (`emb shell`, `emb kubernetes shell`)
"""
