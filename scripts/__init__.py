"""Developer and operator tooling: training, seeding, running the whole stack."""
