"""One augmentation op per module. Every module here is imported by
:func:`sercorpus.augment.registry.discover`, and defining an ``Op`` subclass with a ``name`` registers it:
a new file is all a new op needs (YAML configs, ``--list-ops``, ``docs/augment.md`` and the contract tests
pick it up)."""
