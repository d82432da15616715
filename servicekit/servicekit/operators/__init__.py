"""The operators' console every service shares: Django's admin under /admin/.

What is here: the operator groups (``operators-read``, ``operators-act``, kept in step with
the service's permissions after every ``migrate``), the development users ``make run``
creates, and the pieces of an admin action that asks an operator why (a reason form on an
intermediate page, one message per row, a history entry per change).
Each service's ``<app>/admin.py`` registers its models; settings in servicekit.settings.
"""
