from jxc.cli.main import run

run()
