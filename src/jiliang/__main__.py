from jiliang.cli.main import main

main()
