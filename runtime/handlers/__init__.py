"""User code: Python handlers named by ``module:function`` specs, called as Lambda calls them.

``loading`` imports a handler from its spec (errors say how to fix it), ``calls`` runs it on a
pooled daemon thread and marshals its result or error as the Lambda runtime does, and
``heartbeat`` carries a local task's heartbeat. The task dispatchers (``runtime.tasks``) and the
fleet's workers (``runtime.fleet``) both call user code through here; it knows neither.
"""
