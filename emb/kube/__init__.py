"""kubectl, and nothing but kubectl: emb never talks to the Kubernetes API itself
(SPEC §4); it runs the user's `kubectl` with their kubeconfig.

- target.py     namespace/context resolution, the kubectl command prefix (pure)
- kubectl.py    running kubectl for lookups (JSON), explaining its failures
- errors.py     kubectl's stderr -> emb's errors (pure)
- selectors.py  label selectors (pure)
- pods.py       a component's pods: lookup, pod and container choice
"""
