from authtuna_grpc.cli import main

raise SystemExit(main())
