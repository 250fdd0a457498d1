"""Workforce scheduling for e-commerce customer service.

The data flow, and the package that owns each step:

    history (forecasts.history) -> calendar (forecasts.calendar) -> forecast (forecasts.models)
    -> requirements (scheduler.staffing) -> roster (scheduler.roster) -> validation (scheduler.validation)
    -> the plan folder (scheduler.plan_folder) -> vendor exports (scheduler.vendor_export)
"""

__version__ = "0.1.0"
