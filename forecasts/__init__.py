"""History, calendar and forecasting: the first half of the data flow."""
