"""Jobs: one module per job. Each reads like the paragraph that describes it and speaks records and SKUs."""
