"""`kubectl k8snet`: the words kubectl hands its plugin, made into k8snet's.

kubectl runs `kubectl-k8snet` with everything after the plugin's name, its own global flags
included (recent kubectl moves flags typed before the name to after it), and its environment
(KUBECONFIG among it). k8snet reads --kubeconfig, --context, -n/--namespace and -A itself; the
global flags that change nothing k8snet shows (verbosity, caches, timeouts) are dropped; the
ones that would change which cluster or identity is used are refused (exit 2), because reading
another cluster or as another user than asked is worse than not reading at all.
"""

from __future__ import annotations

from k8snet_tui.errors import UsageError

# kubectl global flags with no meaning here: (flag, takes a value).
IGNORED = {"-v": True, "--v": True, "--vmodule": True, "--request-timeout": True, "--cache-dir": True,
           "--log-flush-frequency": True, "--match-server-version": False, "--warnings-as-errors": False,
           "--disable-compression": False, "--profile": True, "--profile-output": True}
# kubectl global flags that pick a cluster, a user or credentials k8snet does not take from flags.
REFUSED = ("--cluster", "--user", "-s", "--server", "--token", "--as", "--as-group", "--as-uid",
           "--as-user-extra", "--certificate-authority", "--client-certificate", "--client-key",
           "--insecure-skip-tls-verify", "--tls-server-name", "--username", "--password")


def translate(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        flag, eq, _ = word.partition("=")
        if word == "--":
            out.extend(words[i:])
            break
        if flag in REFUSED:
            raise UsageError(f"{flag} is a kubectl flag k8snet cannot honour",
                             hint="put the cluster and user in a kubeconfig context and pass --context NAME")
        short_v = flag.startswith("-v") and flag[2:].isdigit()  # -v6
        if flag in IGNORED or short_v:
            if IGNORED.get(flag) and not eq and not short_v:
                i += 1  # its value is the next word
            i += 1
            continue
        out.append(word)
        i += 1
    return out
