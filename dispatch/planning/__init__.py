"""Route planning, pure: model (stops, technicians, plan), travel (providers), solver (`plan_day`), validate, solomon.

No flask, no database: the dispatch services turn visits and technicians into `Stop`/`Technician` and call
`solver.plan_day` with `travel.provider_from_config(app.config)`.
"""
