"""The deterministic core: the interpreter, Map and Parallel, events and payload sizes.

Pure apart from what its :class:`Host` supplies: no store, dispatcher, callback registry, boto3,
clock or thread is imported here. Given a model and a history it produces the same next events.
"""
