from generator._cli import main

raise SystemExit(main())
