from authtuna_grpc.cli import main

# Guarded: worker processes (spawned interpreters) import this module again.
if __name__ == "__main__":
    raise SystemExit(main())
