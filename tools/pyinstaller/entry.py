"""PyInstaller entry script for the frozen kubectl-pullsecret program.

PyInstaller needs a script, not a console-script entry point; this is the same call that
`[project.scripts] kubectl-pullsecret = "kubectl_pullsecret.cli:main"` makes for pip installs.
"""

from kubectl_pullsecret.cli import main

if __name__ == "__main__":
    main()
