"""ECS task scale-in protection, held exactly while jobs run, and the graceful drain.

``scalejobs.middleware.ECSProtection`` adapts Dramatiq's hooks to the engine
(``engine.TaskProtection``), which keeps the task's shared record in Redis
(``ledger.TaskLedger``) and reaches ECS through the agent endpoint
(``agent``) or boto3 (``ecs_api``); ``scalejobs.testing.ecs_agent`` is a local ECS agent for
tests and the demo; ``views`` is the "Protected tasks" admin page.
"""
