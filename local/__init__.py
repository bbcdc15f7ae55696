"""The paymux local stack: the whole system on one machine, no AWS account, no Docker.

`python -m local` (`make dev`) or, in code, `local.stack.LocalStack`:

    with LocalStack(api_port=0, moto_port=0, schedules=False) as stack:
        stack.api_url, stack.moto_url, stack.env, stack.queue_urls
        stack.invoke("SweeperFunction", {})      # any function, any event
        stack.run_schedule("SweeperFunction")    # what its schedule would send

Everything comes from template.yaml: moto's CloudFormation creates the data resources
(resources.py, fixups.py), HttpApi routes are served with payload 2.0 events (api.py), SQS
event sources are polled (sqs.py), schedules run on threads (schedules.py), and the functions'
environments are resolved from the stack (environment.py, intrinsics.py). moto's DynamoDB is
made to hold load without changing what it answers: requests are serialized (moto_serialize.py),
transactions snapshot and restore only the items they name (moto_transactions.py), and queries
read only the queried partition (moto_queries.py).
"""
