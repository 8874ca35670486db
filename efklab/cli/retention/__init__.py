"""``efklab retention validate|simulate|apply|explain``: ISM policies checked, forecast, applied and explained."""
