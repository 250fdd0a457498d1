"""The base layer every step of the data flow uses: errors a user can cause, reading CSV files at the
edge (their encoding, and the date-times, booleans and channel names vendors write in them), the names
of channels and day types, the scenario schema and the promotion calendar.

It imports nothing from ``forecasts`` or ``scheduler``; both import from it. The data flow above it:

    history, calendar, forecast (forecasts/) -> requirements, roster, validation, outputs (scheduler/)
"""
