"""Tiny datasets whose metrics are worked out by hand in the tests' comments."""

# a and b have signups; c has none (new on its first active day).
USERS = """user_id,signup_at,country
a,2026-01-01T08:00:00Z,US
b,2026-01-03T09:00:00Z,DE
c,,US
"""

# Days 1..8 of January 2026. Sessions: s1 (a, Jan 1, 60 s from its session row),
# s3 (b, Jan 3, no session value: length = 120 s between first and last event),
# s4 (b, Jan 4, a click but no view: no CTR), s2 (a, Jan 8, 120 s, 2 views, no click).
EVENTS = """user_id,at,event,value,session_id
a,2026-01-01T10:00:00Z,session,60,s1
a,2026-01-01T10:00:10Z,view,,s1
a,2026-01-01T10:00:20Z,click,,s1
a,2026-01-02T12:00:00Z,view,,
b,2026-01-03T10:00:00Z,session,,s3
b,2026-01-03T10:00:30Z,view,,s3
b,2026-01-03T10:02:00Z,click,,s3
b,2026-01-04T18:00:00Z,session,30,s4
b,2026-01-04T18:00:05Z,click,,s4
c,2026-01-05T07:00:00Z,view,,
a,2026-01-08T20:00:00Z,session,120,s2
a,2026-01-08T20:00:10Z,view,,s2
a,2026-01-08T20:00:20Z,view,,s2
a,2026-01-08T20:00:30Z,like,,s2
a,2026-01-08T20:01:00Z,message,,s2
"""

# Retention: two weekly cohorts (Mon 5 Jan, Mon 12 Jan), data ends Mon 19 Jan.
RETENTION_USERS = """user_id,signup_at,country
u1,2026-01-05T10:00:00Z,US
u2,2026-01-06T10:00:00Z,DE
u3,2026-01-12T10:00:00Z,US
u4,2026-01-14T10:00:00Z,DE
u5,2025-12-30T10:00:00Z,US
u6,,FR
"""

RETENTION_EVENTS = """user_id,at,event,value,session_id
u5,2026-01-05T09:00:00Z,view,,
u1,2026-01-05T11:00:00Z,view,,
u1,2026-01-06T11:00:00Z,view,,
u2,2026-01-06T11:00:00Z,view,,
u1,2026-01-12T11:00:00Z,view,,
u3,2026-01-12T11:00:00Z,view,,
u2,2026-01-13T11:00:00Z,view,,
u3,2026-01-13T11:00:00Z,view,,
u4,2026-01-14T11:00:00Z,view,,
u6,2026-01-15T11:00:00Z,view,,
u1,2026-01-19T11:00:00Z,view,,
"""
