"""Reports from the client's state: KPIs per market (`kpis`), orders worth a second look (`flags`).

`data` reads the state and the traffic CSV into plain records, `kpis` and `flags` compute from them without
I/O, `html` renders the self-contained page, and `command` is the glue the CLI calls. The definition of every
figure is in REPORTS.md.
"""
