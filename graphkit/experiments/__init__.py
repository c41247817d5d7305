"""A/B-testing statistics: assignment, tests, power, CUPED, survival, SRM, corrections."""
