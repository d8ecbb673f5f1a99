from autometa.cli import run

run()
