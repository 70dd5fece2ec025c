from kubectl_pullsecret.cli import main

main()
