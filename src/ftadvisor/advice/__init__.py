"""From a profile to advice: decide, explain, what-if, gates, and the pipeline that runs them."""
