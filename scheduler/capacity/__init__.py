"""Is the pool big enough? The capacity sizing, ``plan --hire auto`` and the binding cause of a missed
target.

What "the targets are met" means
    A channel meets its target when ``summary.json`` gives it a service level at least its
    ``service_level_target`` (the contact-weighted level over the week, ``summarize_service``, the
    figure the contract is judged on) and no interval with contacts has an unstable queue
    (``unstable_intervals`` 0: nobody there is ever answered, whatever the weekly level).

    The sizing solves for exactly that, not for zero shortfall against ``required_scheduled``: the
    requirements hold every interval at the target on its own and under the occupancy cap, so zero
    shortfall is sufficient but not necessary. A week that meets its targets with a few short
    intervals is not short of staff (2025-W11), and "cannot be met at any cost" is a question about the
    targets: is there a roster of the pool (plus hires) within every hard labour rule that meets them,
    whatever it costs? Zero shortfall would call a pool short that can meet the targets.

Modules
    ``service.py``  the service level of a channel in a CP-SAT model, never above the report's;
    ``counting.py`` the counting model (alike agents counted), a relaxation that proves a lower bound
                    on the hires in a fraction of the roster's time;
    ``hires.py``    hire candidates from the ``[hire]`` table, the family that makes them optional,
                    ``hires.csv``;
    ``sizing.py``   ``size_pool``: fewest hires, then the cheapest plan with them (the method, why it is
                    minimal, the time budget);
    ``report.py``   ``missed_targets``, the ``capacity`` section of ``summary.json`` and its console line,
                    ``binding_cause`` (no solver).

When it runs
    ``schedule plan`` runs the sizing only when the plan misses a target (``missed_targets``), after
    the roster, with its own budget ``hire.time_limit_s``; a plan that meets its targets spends nothing
    on it and says ``"capacity": {"pool_short": false, "sized": false}``. ``plan --hire auto`` runs the
    sizing instead of the plain roster: its roster of named agents with the hires is the plan.
"""
